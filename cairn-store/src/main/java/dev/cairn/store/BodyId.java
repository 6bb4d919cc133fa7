// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.Arrays;
import java.util.HexFormat;

/** A message body's name: the SHA-256 of its bytes. A slot stores each body once. */
public final class BodyId implements Comparable<BodyId> {
    public static final int LENGTH = 32;
    private final byte[] sha256;

    private BodyId(byte[] sha256) { this.sha256 = sha256; }

    public static BodyId of(byte[] sha256) {
        if (sha256.length != LENGTH) throw new IllegalArgumentException("a body id is 32 bytes, got " + sha256.length);
        return new BodyId(sha256.clone());
    }

    public static BodyId parse(String hex) { return of(HexFormat.of().parseHex(hex)); }

    public byte[] bytes() { return sha256.clone(); }

    public String hex() { return HexFormat.of().formatHex(sha256); }

    @Override public boolean equals(Object o) { return o instanceof BodyId b && Arrays.equals(sha256, b.sha256); }
    @Override public int hashCode() { return Arrays.hashCode(sha256); }
    @Override public int compareTo(BodyId o) { return Arrays.compareUnsigned(sha256, o.sha256); }
    @Override public String toString() { return hex(); }
}
