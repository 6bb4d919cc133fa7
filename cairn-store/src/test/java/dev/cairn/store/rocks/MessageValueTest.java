// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodyId;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * The messages-CF value keeps the internal date's UTC offset (RFC 9051 §2.3.3); a slot written
 * before offsets were kept opens with its dates at +0000.
 */
class MessageValueTest {
    private static final BodyId BODY = BodyId.of(new byte[BodyId.LENGTH]);
    private static final Instant APPENDED = Instant.parse("2007-03-26T04:30:00Z"), SAVED = Instant.parse("2026-12-06T21:00:00Z");

    /** A value as the encoder before offsets wrote it (version 1). */
    private static byte[] versionOne() {
        return ByteBuffer.allocate(1 + 8 + 8 + 8 + BodyId.LENGTH + 8).put((byte) 1).putLong(APPENDED.toEpochMilli())
                .putLong(SAVED.toEpochMilli()).putLong(42).put(BODY.bytes()).putLong(9).array();
    }

    @Test void aValueWrittenBeforeOffsetsReadsAsUtc() {
        assertThat(MessageValue.decode(versionOne()))
                .isEqualTo(new MessageValue(APPENDED.atOffset(ZoneOffset.UTC), SAVED, 42, BODY, 9));
    }

    @Test void aValueDatedInUtcKeepsTheOldBytes() {
        assertThat(new MessageValue(APPENDED.atOffset(ZoneOffset.UTC), SAVED, 42, BODY, 9).encode()).isEqualTo(versionOne());
    }

    @Test void anInternalDateInAnotherZoneKeepsItsOffset() {
        OffsetDateTime date = OffsetDateTime.parse("2007-03-25T23:30:00-05:00");
        byte[] encoded = new MessageValue(date, SAVED, 42, BODY, 9).encode();
        assertThat(encoded[0]).isEqualTo((byte) 2);
        MessageValue read = MessageValue.decode(encoded);
        assertThat(read.internalDate()).isEqualTo(date);
        assertThat(read).isEqualTo(new MessageValue(date, SAVED, 42, BODY, 9));
    }
}
