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
        try (InputStream in = source.open()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(source.size(), 0), maxSize));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxSize) {
                    throw new StoreException(StoreException.Reason.TOO_BIG, "message is over the limit of " + maxSize);
                }
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
            }
            return new PreparedBody(BodyId.of(sha.digest()), out.toByteArray());
        } catch (IOException e) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "cannot read the message: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    ParsedMessage parsed() {
        if (parsed == null) parsed = MimeParser.parse(bytes);
        return parsed;
    }
}
