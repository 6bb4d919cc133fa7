// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/**
 * A mod-sequence (RFC 7162 §3): the per-user change-log sequence number of the change that last
 * touched a message or mailbox. It never goes down, and the change log and replication use the
 * same numbers.
 */
public record ModSeq(long value) implements Comparable<ModSeq> {
    public ModSeq {
        if (value < 1) throw new IllegalArgumentException("MODSEQ must be positive: " + value);
    }

    public static ModSeq of(long value) { return new ModSeq(value); }

    @Override public int compareTo(ModSeq o) { return Long.compare(value, o.value); }
    @Override public String toString() { return Long.toString(value); }
}
