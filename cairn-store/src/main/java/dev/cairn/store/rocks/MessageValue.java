// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The messages-CF value: what never changes for a (mailbox, UID). Version 1 (65 bytes) kept the
 * internal date as an instant only and reads as +0000; version 2 (69 bytes) adds its UTC offset in
 * seconds. A value at +0000 is still written as version 1, so a node that reads only version 1 (an
 * older replica installing a user image) refuses nothing but dates that carry another offset.
 */
record MessageValue(OffsetDateTime internalDate, Instant saveDate, long size, BodyId body, long thread) {
    private static final byte INSTANT_ONLY = 1, WITH_OFFSET = 2;

    byte[] encode() {
        int offset = internalDate.getOffset().getTotalSeconds();
        ByteBuffer out = ByteBuffer.allocate(1 + 8 + (offset == 0 ? 0 : 4) + 8 + 8 + BodyId.LENGTH + 8)
                .put(offset == 0 ? INSTANT_ONLY : WITH_OFFSET).putLong(internalDate.toInstant().toEpochMilli());
        if (offset != 0) out.putInt(offset);
        return out.putLong(saveDate.toEpochMilli()).putLong(size).put(body.bytes()).putLong(thread).array();
    }

    static MessageValue decode(byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b);
        byte version = in.get();
        if (version != INSTANT_ONLY && version != WITH_OFFSET) throw new IllegalStateException("message record version");
        Instant internal = Instant.ofEpochMilli(in.getLong());
        ZoneOffset offset = version == WITH_OFFSET ? ZoneOffset.ofTotalSeconds(in.getInt()) : ZoneOffset.UTC;
        Instant save = Instant.ofEpochMilli(in.getLong());
        long size = in.getLong();
        byte[] sha = new byte[BodyId.LENGTH];
        in.get(sha);
        return new MessageValue(internal.atOffset(offset), save, size, BodyId.of(sha), in.getLong());
    }
}
