// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.UserStore;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random operations against the store and a plain model of what IMAP promises (messages and
 * flags per mailbox, UIDNEXT never down, UIDs never reused, MODSEQ only up), compared after every
 * step, with restarts in between: the view, the counters and the records must all agree.
 */
class ModelTest {
    @TempDir Path dir;

    @Test void randomOperationsMatchTheModel() {
        Random r = new Random(Long.getLong("cairn.model.seed", 12345));
        SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false));
        try {
            UserStore u = slot.openOrCreateUser("m");
            ModelRun run = new ModelRun(u, r, SlotStoreTest::mail);
            long lastModSeq = u.highestModSeq();
            for (int step = 0; step < 600; step++) {
                run.step(u, step);
                if (step % 150 == 149) {
                    slot.close();
                    slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false));
                    u = slot.user("m");
                }
                assertThat(u.highestModSeq()).isGreaterThanOrEqualTo(lastModSeq);
                lastModSeq = u.highestModSeq();
                run.compare(u, step);
            }
            assertThat(slot.check(null, false).problems()).isEmpty();
        } finally {
            slot.close();
        }
    }
}
