// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/** An IMAP UID (RFC 9051 §2.3.1.1): a positive 32-bit unsigned number, strictly ascending per mailbox. */
public record Uid(long value) implements Comparable<Uid> {
    public static final long MAX = 0xFFFF_FFFFL;

    public Uid {
        if (value < 1 || value > MAX) throw new IllegalArgumentException("UID out of range: " + value);
    }

    public static Uid of(long value) { return new Uid(value); }

    @Override public int compareTo(Uid o) { return Long.compare(value, o.value); }
    @Override public String toString() { return Long.toString(value); }
}
