// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class FailoversTest {
    private static Failovers.Failover move(int epoch) {
        return new Failovers.Failover(Instant.EPOCH.plusSeconds(epoch), "s1", "n1/s0", "n2/s0", epoch, Failovers.How.CLEAN);
    }

    @Test void theLastMovesAreKeptNewestFirstAndTheOldestDroppedPastTheBound() {
        Failovers f = new Failovers();
        for (int e = 1; e <= Failovers.KEPT - 1; e++) f.add(move(e));
        assertThat(f.recent()).hasSize(Failovers.KEPT - 1);
        f.add(move(Failovers.KEPT));
        assertThat(f.recent()).hasSize(Failovers.KEPT);
        assertThat(f.recent().getLast().epoch()).isEqualTo(1);
        f.add(move(Failovers.KEPT + 1));
        assertThat(f.recent()).hasSize(Failovers.KEPT);
        assertThat(f.recent().getFirst().epoch()).isEqualTo(Failovers.KEPT + 1);
        assertThat(f.recent().getLast().epoch()).as("the oldest went").isEqualTo(2);
    }
}
