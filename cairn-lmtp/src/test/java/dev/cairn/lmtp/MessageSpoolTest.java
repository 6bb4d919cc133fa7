// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.MemoryBudget;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node memory budget (issue 15) as the LMTP spool uses it: what gets no memory goes to disk. */
class MessageSpoolTest {
    @TempDir Path dir;

    @Test
    void aMessageThatGetsNoShareOfTheBudgetGoesToDisk() throws Exception {
        MemoryBudget budget = new MemoryBudget(1000);
        try (MessageSpool held = new MessageSpool(1 << 20, 1 << 20, dir, budget);
             MessageSpool next = new MessageSpool(1 << 20, 1 << 20, dir, budget)) {
            held.write(new byte[600], 0, 600);
            assertThat(held.onDisk()).isFalse();
            next.write(new byte[399], 0, 399); // 999: limit-1
            assertThat(next.onDisk()).isFalse();
            next.write(new byte[2], 0, 2);     // 1001: limit+1, so this message moves to disk
            assertThat(next.onDisk()).isTrue();
            assertThat(budget.used()).isEqualTo(600);
            next.finish();
            assertThat(next.withPrefix(new byte[0]).size()).isEqualTo(401);
        }
        assertThat(budget.used()).as("all given back").isZero();
    }
}
