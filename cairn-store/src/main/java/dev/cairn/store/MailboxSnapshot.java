// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/**
 * The messages of one mailbox at one committed point, in ascending UID order: index i is message
 * sequence number i+1 for a session that starts from this snapshot. Immutable; compact (arrays of
 * primitives, keywords interned per mailbox) so that a 100,000-message mailbox costs a few MiB.
 */
public interface MailboxSnapshot {
    MailboxInfo info();

    int size();

    Uid uid(int index);

    ModSeq modSeq(int index);

    Flags flags(int index);

    /** The index of a UID, or -(insertion point) - 1 as {@link java.util.Arrays#binarySearch} does. */
    int indexOf(Uid uid);

    /**
     * Every keyword defined in the mailbox: each one any of its messages ever had, in the order
     * first used (what IMAP's FLAGS response names, RFC 9051 §7.3.5). It only grows.
     */
    java.util.List<String> keywords();
}
