// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/**
 * The in-memory view of one mailbox, shared by every session of its user on this node. A session
 * attaches with a listener and gets, atomically, the snapshot to start from and every change
 * committed after it, so that nothing is missed or seen twice.
 */
public interface MailboxView {
    MailboxId id();

    /** The latest committed state. */
    MailboxSnapshot snapshot();

    /** Atomically: the current snapshot, and the listener registered for every later change. */
    Attachment attach(MailboxChange.Listener listener);

    /** A session's hold on the view; closing it stops the listener (and lets the view be dropped). */
    interface Attachment extends AutoCloseable {
        /** The snapshot the attachment started from; its listener gets every change after it. */
        MailboxSnapshot snapshot();

        /**
         * The latest state, read in step with the listener: every change it holds has been given
         * to the listener already, and no later one has. A session that first takes in what its
         * listener was given up to this snapshot's HIGHESTMODSEQ can then report from it without
         * telling its client a state older than one it told before (RFC 7162 §3.1).
         */
        MailboxSnapshot latest();

        @Override void close();
    }
}
