// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import java.nio.ByteBuffer;
import java.time.Instant;

/** The messages-CF value: what never changes for a (mailbox, UID). 72 bytes. */
record MessageValue(Instant internalDate, Instant saveDate, long size, BodyId body, long thread) {
    private static final byte VERSION = 1;

    byte[] encode() {
        return ByteBuffer.allocate(1 + 8 + 8 + 8 + BodyId.LENGTH + 8).put(VERSION)
                .putLong(internalDate.toEpochMilli()).putLong(saveDate.toEpochMilli()).putLong(size)
                .put(body.bytes()).putLong(thread).array();
    }

    static MessageValue decode(byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b);
        if (in.get() != VERSION) throw new IllegalStateException("message record version");
        Instant internal = Instant.ofEpochMilli(in.getLong()), save = Instant.ofEpochMilli(in.getLong());
        long size = in.getLong();
        byte[] sha = new byte[BodyId.LENGTH];
        in.get(sha);
        return new MessageValue(internal, save, size, BodyId.of(sha), in.getLong());
    }
}
