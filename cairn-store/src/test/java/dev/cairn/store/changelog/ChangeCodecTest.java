// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.changelog.Change.FlagState;
import dev.cairn.store.changelog.Change.FlagsSet;
import dev.cairn.store.changelog.Change.MessagesExpunged;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Damaged change records (found by ChangeCodecFuzzTest): refused with IllegalArgumentException; newer change types. */
class ChangeCodecTest {
    private static final MailboxId INBOX = new MailboxId("F1");

    private static byte[] encode(Change... changes) {
        return ChangeCodec.encode(new ChangeRecord("a", 1, 0, Instant.EPOCH, List.of(changes)));
    }

    /** The offset of the change count: version, user "a", seq, epoch, time. */
    private static final int CHANGES = 1 + 4 + 1 + 8 + 8 + 8;

    @Test void aCountLargerThanTheRecordIsRefusedBeforeAnythingIsAllocatedForIt() {
        byte[] record = encode(new MessagesExpunged(INBOX, List.of(7L, 8L)));
        assertThat(ChangeCodec.decode(record)).isNotNull();
        // the uid count sits after the change count (4), the type (1) and the mailbox id (4 + 2)
        int uids = CHANGES + 4 + 1 + 4 + 2;
        for (int n : new int[] {3, Integer.MAX_VALUE, -1}) {
            byte[] bad = record.clone();
            ByteBuffer.wrap(bad).putInt(uids, n);
            assertThatThrownBy(() -> ChangeCodec.decode(bad)).as("count %d", n).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] bad = record.clone();
        ByteBuffer.wrap(bad).putInt(CHANGES, Integer.MAX_VALUE);
        assertThatThrownBy(() -> ChangeCodec.decode(bad)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void aUidValidityChangeRoundTripsAndAnUnknownChangeTypeIsRefused() {
        byte[] record = encode(new Change.UidNextRaised(INBOX, 262_145), new Change.UidValidityChanged(INBOX, 1_765_000_123L));
        assertThat(ChangeCodec.decode(record).changes())
                .containsExactly(new Change.UidNextRaised(INBOX, 262_145), new Change.UidValidityChanged(INBOX, 1_765_000_123L));
        assertThat(record[0]).as("no new version: older records and readers keep theirs").isEqualTo((byte) 1);
        byte[] unknown = encode(new Change.UidValidityChanged(INBOX, 7));
        unknown[CHANGES + 4] = 14; // the change's type byte
        assertThatThrownBy(() -> ChangeCodec.decode(unknown)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void aMissingMailboxIdOrKeywordIsRefused() {
        byte[] record = encode(new FlagsSet(INBOX, List.of(new FlagState(1, Flags.of("k")))));
        byte[] noMailbox = record.clone();
        ByteBuffer.wrap(noMailbox).putInt(CHANGES + 4 + 1, -1); // the mailbox id's length: -1 is null
        assertThatThrownBy(() -> ChangeCodec.decode(noMailbox)).isInstanceOf(IllegalArgumentException.class);
        byte[] noKeyword = record.clone();
        ByteBuffer.wrap(noKeyword).putInt(record.length - 5, -1); // the last keyword's length
        assertThatThrownBy(() -> ChangeCodec.decode(noKeyword)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void aNewUidValidityRoundTripsInVersionOneBytes() {
        Change.UidValidityChanged c = new Change.UidValidityChanged(INBOX, 1_765_000_017L);
        byte[] record = encode(c);
        assertThat(record[0]).as("no offsets: the oldest version that holds it").isEqualTo((byte) 1);
        assertThat(ChangeCodec.decode(record).changes()).containsExactly(c);
    }
}
