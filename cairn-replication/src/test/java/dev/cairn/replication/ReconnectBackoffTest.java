// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {
    @Test void waitsDoubleWithJitterUpToTheCapAndStartOverAfterAHandshake() {
        ReconnectBackoff b = new ReconnectBackoff(Duration.ofMillis(200), Duration.ofSeconds(5));
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 12; i++) waits.add(b.next().toMillis());
        // Ceilings 200, 400, 800, 1600, 3200, then 5000 for good: each wait is between half the ceiling and all of it.
        long[] ceilings = {200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000, 5000, 5000};
        for (int i = 0; i < ceilings.length; i++) {
            assertThat(waits.get(i)).as("wait " + i + " of " + waits).isBetween(ceilings[i] / 2, ceilings[i]);
        }
        b.reset();
        assertThat(b.next().toMillis()).isBetween(100L, 200L);
    }

    @Test void aMinuteOfAttemptsAgainstADownReplicaIsAFewDozenNotThreeHundred() {
        ReconnectBackoff b = new ReconnectBackoff(Duration.ofMillis(200), Duration.ofSeconds(5));
        long elapsed = 0;
        int attempts = 0;
        while (elapsed < 60_000) {
            elapsed += b.next().toMillis();
            attempts++;
        }
        // A constant 200 ms made 300; doubling to 5 s, each wait at least half its ceiling: at most 5 + 23 = 28.
        assertThat(attempts).isLessThanOrEqualTo(28);
    }

    @Test void jitterSpreadsTheChannelsOfOneReplica() {
        List<Long> firstWaitsAtTheCap = new ArrayList<>();
        for (int channel = 0; channel < 8; channel++) {
            ReconnectBackoff b = new ReconnectBackoff(Duration.ofMillis(200), Duration.ofSeconds(5));
            for (int i = 0; i < 6; i++) b.next();
            firstWaitsAtTheCap.add(b.next().toMillis());
        }
        assertThat(firstWaitsAtTheCap.stream().distinct().count()).as(firstWaitsAtTheCap.toString()).isGreaterThan(1);
    }
}
