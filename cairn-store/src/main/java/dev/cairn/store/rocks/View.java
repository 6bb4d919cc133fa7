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
 * exclusive, so an attachment's starting snapshot and its first change are adjacent; and
 * {@link Attachment#latest} is exclusive with publish too, so the snapshot it returns is exactly
 * as far as the changes its listener has been given.
 */
final class View implements MailboxView {
    private static final Logger log = LoggerFactory.getLogger(View.class);

    private final UserState owner;
    private final MailboxId id;
    private volatile Snapshot snapshot;
    private final CopyOnWriteArrayList<Hold> holds = new CopyOnWriteArrayList<>();

    View(UserState owner, MailboxId id, Snapshot snapshot) { this.owner = owner; this.id = id; this.snapshot = snapshot; }

    @Override public MailboxId id() { return id; }

    /**
     * The latest state. A view whose user was evicted from memory (no session attached for a
     * while) hands over to the user's current view, so an unattached holder never reads a frozen one.
     */
    @Override public MailboxSnapshot snapshot() {
        owner.lastUsedNanos = System.nanoTime();
        if (owner.evicted) return owner.slot.user(owner.name).view(id).snapshot();
        return snapshot;
    }

    Snapshot current() { return snapshot; }

    /** Under the user's lock: eviction (which holds it) and attaching are never interleaved. */
    @Override public Attachment attach(MailboxChange.Listener listener) {
        owner.lock.lock();
        try {
            owner.lastUsedNanos = System.nanoTime();
            if (!owner.evicted) {
                synchronized (this) {
                    Hold h = new Hold(listener, snapshot);
                    holds.add(h);
                    return h;
                }
            }
        } finally {
            owner.lock.unlock();
        }
        return owner.slot.user(owner.name).view(id).attach(listener);
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

        /** Under the view's monitor, which {@link #publish} holds from installing a snapshot to the last listener. */
        @Override public MailboxSnapshot latest() {
            synchronized (View.this) {
                return snapshot;
            }
        }

        @Override public void close() { holds.remove(this); }
    }
}
