// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.BodySource;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.StoreException;
import dev.cairn.store.mime.MimeParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A body read, hashed and (when the slot does not have it yet) parsed before the commit takes any
 * lock. The bytes are held while the commit is built; the native write batch holds them anyway.
 */
final class PreparedBody {
    final BodyId id;
    final byte[] bytes;
    ParsedMessage parsed;

    private PreparedBody(BodyId id, byte[] bytes) { this.id = id; this.bytes = bytes; }

    static PreparedBody read(BodySource source, long maxSize) {
        if (source.size() > maxSize) {
            throw new StoreException(StoreException.Reason.TOO_BIG,
                    "message of " + source.size() + " octets is over the limit of " + maxSize);
        }
        byte[] held = source.inMemory();
        if (held != null) return new PreparedBody(BodyId.of(sha256().digest(held)), held);
        try (InputStream in = source.open()) {
            // The announced size in one array; only a source that turns out longer is read on.
            byte[] bytes = in.readNBytes((int) Math.max(0, Math.min(source.size(), Integer.MAX_VALUE - 8)));
            int next = in.read();
            if (next >= 0) bytes = readOn(in, bytes, next, maxSize);
            return new PreparedBody(BodyId.of(sha256().digest(bytes)), bytes);
        } catch (IOException e) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "cannot read the message: " + e.getMessage(), e);
        }
    }

    private static byte[] readOn(InputStream in, byte[] first, int next, long maxSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(first.length + 8192);
        out.write(first);
        out.write(next);
        byte[] buf = new byte[64 * 1024];
        int n;
        while (out.size() <= maxSize && (n = in.read(buf)) > 0) out.write(buf, 0, n);
        if (out.size() > maxSize) throw new StoreException(StoreException.Reason.TOO_BIG, "message is over the limit of " + maxSize);
        return out.toByteArray();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    ParsedMessage parsed() {
        if (parsed == null) parsed = MimeParser.parse(bytes);
        return parsed;
    }
}
