// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.MailboxId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import static dev.cairn.store.rocks.UserState.existing;

/**
 * IMAP4rev1's \Recent for one user: per mailbox, the first UID not yet claimed as recent (RFC 3501
 * §2.3.2), as Dovecot and Cyrus keep it. In memory, and written through to the slot without an
 * fsync and outside the change log: it must outlive the user's state (mail that arrives while no
 * session looks is what \Recent is for), but it is this node's bookkeeping, not mail; a replica
 * need not have it. Claims come only from sessions attached to the mailbox's view, so the state
 * is not evicted under a claim.
 */
final class RecentMarks {
    private final UserState user;
    private final RocksSlotStore slot;
    private final int id;

    RecentMarks(UserState user) {
        this.user = user;
        this.slot = user.slot;
        this.id = user.id;
    }

    /** Mailbox number -> its mark, read from the slot when first needed. */
    private final Map<Integer, RecentMark> recent = new ConcurrentHashMap<>();

    private static final class RecentMark {
        long firstUnclaimed;
    }

    private RecentMark recentMark(MailboxMeta m) {
        return recent.computeIfAbsent(m.num, num -> {
            RecentMark mark = new RecentMark();
            byte[] stored = slot.get(slot.meta, Keys.userTagInt(id, Keys.RECENT, num));
            mark.firstUnclaimed = stored == null ? 1 : Keys.getLong(stored);
            return mark;
        });
    }

    long claimRecent(MailboxId mailbox, long uidLimit) {
        MailboxMeta m = existing(user.live(), mailbox);
        RecentMark mark = recentMark(m);
        synchronized (mark) {
            long from = mark.firstUnclaimed;
            if (uidLimit <= from) return uidLimit;
            mark.firstUnclaimed = uidLimit;
            slot.putUnsynced(slot.meta, Keys.userTagInt(id, Keys.RECENT, m.num), Keys.longBytes(uidLimit));
            return from;
        }
    }

    long firstUnclaimedRecent(MailboxId mailbox) {
        RecentMark mark = recentMark(existing(user.live(), mailbox));
        synchronized (mark) {
            return mark.firstUnclaimed;
        }
    }

    /** The mailbox is gone (deleted, or renamed away from INBOX): its mark goes with it. */
    void forget(int mailboxNum) { recent.remove(mailboxNum); }
}
