// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.BodyId;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.changelog.Change.AppendedMessage;
import dev.cairn.store.changelog.Change.MessagesAppended;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The internal date's UTC offset in the change log and on the replication wire: version 1
 * records (written before offsets were kept, on disk or from an older master) read as +0000, and
 * a record that needs no offset keeps version 1's bytes for an older replica.
 */
class ChangeCodecVersionTest {
    private static final MailboxId INBOX = new MailboxId("F1");
    private static final BodyId BODY = BodyId.of(new byte[BodyId.LENGTH]);
    private static final Instant APPENDED = Instant.parse("2007-03-26T04:30:00Z"), SAVED = Instant.parse("2026-12-06T21:00:00Z");

    /** Version 1 as the encoder before offsets wrote it: one append of one message, no keywords. */
    private static byte[] versionOne() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(1);
        string(out, "alice");
        out.writeLong(5); out.writeLong(2); out.writeLong(SAVED.toEpochMilli()); // seq, epoch, time
        out.writeInt(1);
        out.writeByte(6); // APPENDED
        string(out, INBOX.value());
        out.writeInt(1);
        out.writeLong(7); // uid
        out.writeByte(Flags.SEEN); out.writeShort(0); // flags
        out.writeLong(APPENDED.toEpochMilli()); out.writeLong(SAVED.toEpochMilli());
        out.writeLong(42); out.write(BODY.bytes()); string(out, "T1");
        out.flush();
        return bytes.toByteArray();
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static ChangeRecord append(OffsetDateTime internalDate) {
        return new ChangeRecord("alice", 5, 2, SAVED, List.of(new MessagesAppended(INBOX,
                List.of(new AppendedMessage(7, Flags.of("\\Seen"), internalDate, SAVED, 42, BODY, "T1")))));
    }

    @Test void aVersionOneRecordReadsItsInternalDateAsUtc() throws IOException {
        ChangeRecord read = ChangeCodec.decode(versionOne());
        assertThat(read).isEqualTo(append(APPENDED.atOffset(ZoneOffset.UTC)));
        assertThat(((MessagesAppended) read.changes().getFirst()).messages().getFirst().internalDate().getOffset())
                .isEqualTo(ZoneOffset.UTC);
    }

    @Test void aRecordDatedInUtcKeepsVersionOnesBytesForAnOlderReplica() throws IOException {
        assertThat(ChangeCodec.encode(append(APPENDED.atOffset(ZoneOffset.UTC)))).isEqualTo(versionOne());
    }

    @Test void anInternalDateInAnotherZoneIsVersionTwoAndKeepsItsOffset() {
        OffsetDateTime date = OffsetDateTime.parse("2007-03-25T23:30:00-05:00");
        byte[] encoded = ChangeCodec.encode(append(date));
        assertThat(encoded[0]).isEqualTo((byte) 2);
        ChangeRecord read = ChangeCodec.decode(encoded);
        AppendedMessage m = ((MessagesAppended) read.changes().getFirst()).messages().getFirst();
        assertThat(m.internalDate()).isEqualTo(date); // equals: the same local date-time and offset
        assertThat(read).isEqualTo(append(date));
    }

    @Test void anOffsetOutOfRangeIsADamagedRecord() {
        byte[] encoded = ChangeCodec.encode(append(OffsetDateTime.parse("2007-03-25T23:30:00+14:00")));
        int at = indexOf(encoded, ByteBuffer.allocate(4).putInt(14 * 3600).array());
        ByteBuffer.wrap(encoded).putInt(at, 19 * 3600);
        assertThatThrownBy(() -> ChangeCodec.decode(encoded)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void anUnknownVersionIsRefused() throws IOException {
        byte[] four = versionOne();
        four[0] = 4;
        assertThatThrownBy(() -> ChangeCodec.decode(four)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version 4");
    }

    private static final dev.cairn.store.Account ACCOUNT = new dev.cairn.store.Account("$argon2id$v=19$m=19456,t=2,p=1$salt$hash",
            java.util.Optional.of("alice@example.org"), List.of("sales@example.org", "al@example.org"), 1 << 30, -1,
            java.util.Optional.of("team"), SAVED, true);

    @Test void anAccountChangeIsVersionThreeAndReadsBackWhole() {
        ChangeRecord record = new ChangeRecord("alice", 9, 2, SAVED, List.of(new Change.AccountSet(ACCOUNT), new Change.AccountRemoved()));
        byte[] encoded = ChangeCodec.encode(record);
        assertThat(encoded[0]).isEqualTo((byte) 3);
        assertThat(ChangeCodec.decode(encoded)).isEqualTo(record);
        assertThat(((Change.AccountSet) ChangeCodec.decode(encoded).changes().getFirst()).account().aliases())
                .containsExactly("al@example.org", "sales@example.org");
    }

    @Test void anAccountChangeInAnOlderVersionIsADamagedRecord() {
        byte[] encoded = ChangeCodec.encode(new ChangeRecord("alice", 9, 2, SAVED, List.of(new Change.AccountRemoved())));
        encoded[0] = 2;
        assertThatThrownBy(() -> ChangeCodec.decode(encoded)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void aVersionTwoRecordStillReads() {
        OffsetDateTime date = OffsetDateTime.parse("2007-03-25T23:30:00-05:00");
        assertThat(ChangeCodec.encode(append(date))[0]).as("no account: not version 3").isEqualTo((byte) 2);
    }

    private static int indexOf(byte[] in, byte[] what) {
        for (int i = 0; i + what.length <= in.length; i++) if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) return i;
        throw new AssertionError("not found");
    }
}
