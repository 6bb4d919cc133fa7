// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.BodyId;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.replication.UserImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole-user image ({@link UserImage}) to bytes and back, as the Resync frames carry it in
 * parts (PROTOCOL.md): version 1, user, seq, entries (family, key, value), bodies (SHA-256,
 * bytes). Nothing read is trusted: damaged bytes are refused with IllegalArgumentException, and
 * no length larger than the image itself is allocated.
 */
public final class UserImageCodec {
    private UserImageCodec() {}

    public static byte[] encode(UserImage image) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            out.writeByte(1);
            ChangeCodec.writeString(out, image.user());
            out.writeLong(image.seq());
            out.writeInt(image.entries().size());
            for (UserImage.Entry e : image.entries()) {
                out.writeByte(e.family());
                out.writeInt(e.key().length); out.write(e.key());
                out.writeInt(e.value().length); out.write(e.value());
            }
            out.writeInt(image.bodies().size());
            for (Map.Entry<BodyId, byte[]> e : image.bodies().entrySet()) {
                out.write(e.getKey().bytes());
                out.writeInt(e.getValue().length); out.write(e.getValue());
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static UserImage decode(byte[] data) {
        try {
            if (data.length == 0 || data[0] != 1) throw new IllegalArgumentException("user image version");
            DataInputStream d = new DataInputStream(new ByteArrayInputStream(data, 1, data.length - 1));
            String user = ChangeCodec.readString(d);
            if (user == null) throw new IllegalArgumentException("user image without a user");
            long seq = d.readLong();
            int n = d.readInt();
            if (n < 0) throw new IllegalArgumentException("entries " + n);
            List<UserImage.Entry> entries = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte fam = d.readByte();
                byte[] k = new byte[checked(d.readInt(), data.length)]; d.readFully(k);
                byte[] v = new byte[checked(d.readInt(), data.length)]; d.readFully(v);
                entries.add(new UserImage.Entry(fam, k, v));
            }
            int nb = d.readInt();
            if (nb < 0) throw new IllegalArgumentException("bodies " + nb);
            Map<BodyId, byte[]> bodies = new LinkedHashMap<>();
            for (int i = 0; i < nb; i++) {
                byte[] sha = new byte[BodyId.LENGTH]; d.readFully(sha);
                byte[] v = new byte[checked(d.readInt(), data.length)]; d.readFully(v);
                bodies.put(BodyId.of(sha), v);
            }
            return new UserImage(user, seq, entries, bodies);
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt user image", e);
        }
    }

    private static int checked(int n, int limit) {
        if (n < 0 || n > limit) throw new IllegalArgumentException("length " + n);
        return n;
    }
}
