// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MailboxView;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one in-memory view of a mailbox on this node. {@link #publish} (called by the committing
 * thread, under the user's write lock, after durability) and {@link #attach} are mutually
 * exclusive, so an attachment's starting snapshot and its first change are adjacent.
 */
final class View implements MailboxView {
    private static final Logger log = LoggerFactory.getLogger(View.class);

    private final MailboxId id;
    private volatile Snapshot snapshot;
    private final CopyOnWriteArrayList<Hold> holds = new CopyOnWriteArrayList<>();

    View(MailboxId id, Snapshot snapshot) { this.id = id; this.snapshot = snapshot; }

    @Override public MailboxId id() { return id; }

    @Override public Snapshot snapshot() { return snapshot; }

    @Override public synchronized Attachment attach(MailboxChange.Listener listener) {
        Hold h = new Hold(listener, snapshot);
        holds.add(h);
        return h;
    }

    int attachments() { return holds.size(); }

    /** Installs the new state and tells every listener, in the order commits happen. */
    synchronized void publish(Snapshot next, MailboxChange change) {
        snapshot = next;
        if (change == null) return;
        for (Hold h : holds) {
            try {
                h.listener.changed(change);
            } catch (RuntimeException e) {
                log.warn("mailbox listener failed on {}", change.getClass().getSimpleName(), e);
            }
        }
    }

    private final class Hold implements Attachment {
        final MailboxChange.Listener listener;
        final MailboxSnapshot start;

        Hold(MailboxChange.Listener listener, MailboxSnapshot start) { this.listener = listener; this.start = start; }

        @Override public MailboxSnapshot snapshot() { return start; }

        @Override public void close() { holds.remove(this); }
    }
}
