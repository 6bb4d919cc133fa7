// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.NewMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;

/**
 * Blob garbage collection does not run in ordinary compactions (see RocksSlotStore); the space
 * of expunged bodies comes back through reclaimBodySpace, and the bodies that stay are intact.
 */
class BodySpaceTest {
    @TempDir Path dir;

    static byte[] mail(int n, Random random) {
        StringBuilder b = new StringBuilder("From: a@example.com\r\nSubject: body " + n + "\r\n\r\n");
        while (b.length() < 12_000) b.append(Long.toHexString(random.nextLong())).append(n % 7 == 0 ? "\r\n" : " ");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Test void expungedBodiesSpaceIsReclaimedAndLiveBodiesStayIntact() throws Exception {
        try (SlotStore opened = SlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            RocksSlotStore slot = (RocksSlotStore) opened;
            UserStore u = slot.openOrCreateUser("alice");
            Random random = new Random(7);
            Map<Uid, byte[]> kept = new HashMap<>();
            List<Uid> dropped = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                byte[] body = mail(i, random);
                Uid uid = u.append("INBOX", List.of(new NewMessage(BodySource.of(body), Flags.NONE, Instant.now()))).uids().getFirst();
                if (i % 4 == 0) kept.put(uid, body);
                else dropped.add(uid);
            }
            MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
            try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
                slot.db.flush(wait, slot.bodies);
                assertThat(slot.bodySpace()[1]).as("no garbage before any expunge").isZero();
                u.expunge(inbox, dropped);
                slot.db.flush(wait, slot.bodies);
            }
            // An ordinary compaction drops the deleted keys and counts their blobs as garbage,
            // but (GC off) leaves the blob files as they are.
            slot.db.compactRange(slot.bodies);
            long[] before = slot.bodySpace();
            assertThat(before[1]).as("garbage after the expunge").isGreaterThan(before[0] / 2);

            assertThat(slot.reclaimBodySpace(0.9)).as("below the asked ratio: nothing to do").isFalse();
            assertThat(slot.reclaimBodySpace(0.25)).isTrue();

            long[] after = slot.bodySpace();
            assertThat(after[1]).as("garbage left").isZero();
            assertThat(after[0]).as("live blob bytes").isLessThan(before[0] / 2).isPositive();
            for (MessageRecord m : u.messages(inbox, kept.keySet())) {
                try (InputStream in = u.openBody(m.body())) {
                    assertThat(in.readAllBytes()).isEqualTo(kept.get(m.uid()));
                }
            }
            assertThat(u.messages(inbox, kept.keySet())).hasSize(kept.size());
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
    }
}
