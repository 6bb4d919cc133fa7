// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static dev.cairn.imap.ImapSession.FENCED;
import static dev.cairn.imap.ImapSession.SHUTDOWN;

import dev.cairn.imap.ImapSession.Done;
import dev.cairn.imap.ImapSession.SessionEnd;
import dev.cairn.imap.syntax.SequenceSet;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.Results;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a session what other sessions (and its own commands) changed in its selected mailbox, at
 * the moments RFC 9051 §7.5.1 allows: EXISTS/RECENT, FETCH of new flags, EXPUNGE or VANISHED
 * (RFC 7162 §3.2.10) only where the command permits them, in commit order so that a message's
 * MODSEQ only grows in what the client sees (RFC 7162 §3.1).
 */
final class ChangeReporter {
    private static final Logger log = LoggerFactory.getLogger(ChangeReporter.class);
    private static final Duration OWN_CHANGE_WAIT = Duration.ofSeconds(10);

    private final ImapSession s;

    ChangeReporter(ImapSession s) {
        this.s = s;
    }

    /** Reports every queued change; expunges only when the command allows them. */
    void sync(boolean allowExpunge) throws IOException, SessionEnd {
        if (s.selected == null) {
            s.events.removeIf(e -> !(e instanceof Done) && e != SHUTDOWN && e != FENCED);
            return;
        }
        if (allowExpunge) flushExpunges();
        Object ev;
        while ((ev = s.events.poll()) != null) apply(ev, allowExpunge);
        if (s.selected == null) return;
        reportExists(s.selected);
        if (s.condStore && !s.selected.pendingExpunges.isEmpty()) {
            // RFC 7162 §3.2: MODSEQ data may have gone out above an expunge that still waits
            s.out.line("* OK [HIGHESTMODSEQ " + s.selected.toldModSeq() + "] Expunges follow");
        }
    }

    /**
     * The selected mailbox's latest state, once the client has been told every change it holds
     * (expunges wait where the command forbids them): what is reported from it is never older
     * than what was told before, so a message's MODSEQ only grows in what the client sees (RFC
     * 7162 §3.1). The changes newer than it stay queued for later, in order.
     */
    MailboxSnapshot caughtUp(boolean allowExpunge) throws IOException, SessionEnd {
        SelectedMailbox sm = s.selected;
        MailboxSnapshot latest = sm.attachment.latest();
        long upTo = latest.info().highestModSeq();
        Object ev;
        while ((ev = s.events.peek()) != null && !(ev instanceof Done)) {
            if (ev instanceof SelectedMailbox.Event e && e.source() == sm && e.change().highestModSeq() > upTo) break;
            s.events.poll();
            apply(ev, allowExpunge);
        }
        return latest;
    }

    /** RFC 7162 §3.1: the first CONDSTORE enabling command with a mailbox selected is answered with its HIGHESTMODSEQ. */
    void enableCondStore() throws IOException {
        if (s.condStore) return;
        s.condStore = true;
        if (s.selected != null) s.out.line("* OK [HIGHESTMODSEQ " + s.selected.toldModSeq() + "] Highest");
    }

    /** EXISTS when the count changed, with RECENT in IMAP4rev1 (RFC 3501 §7.3.2). */
    private void reportExists(SelectedMailbox sm) throws IOException {
        if (sm.count() == sm.reportedExists) return;
        s.out.line("* " + sm.count() + " EXISTS");
        if (sm.tracksRecent()) s.out.line("* " + sm.recentCount() + " RECENT");
        sm.reportedExists = sm.count();
    }

    /** Waits until this session has seen the change it made itself (so the order of reports stays the commit order). */
    void awaitOwnChange(long modSeq, boolean allowExpunge) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + OWN_CHANGE_WAIT.toNanos();
        try {
            if (allowExpunge) flushExpunges();
            while (s.selected != null && s.selected.seenModSeq < modSeq) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.warn("imap {}: change {} was not reported by the store in time", s.conn.id(), modSeq);
                    return;
                }
                Object ev = s.events.poll(left, TimeUnit.NANOSECONDS);
                if (ev == null) continue;
                if (ev instanceof Done) {
                    s.events.offer(ev);
                    return;
                }
                apply(ev, allowExpunge);
            }
        } catch (SessionEnd e) {
            throw new IOException("session ended", e);
        }
    }

    void apply(Object ev, boolean allowExpunge) throws IOException, SessionEnd {
        if (!(ev instanceof SelectedMailbox.Event e) || e.source() != s.selected) return;
        SelectedMailbox sm = s.selected;
        if (sm.overflowed) {
            s.bye("Too many changes waiting for this session; please reconnect");
            throw new SessionEnd();
        }
        MailboxChange change = e.change();
        sm.seenModSeq = Math.max(sm.seenModSeq, change.highestModSeq());
        switch (change) {
            case MailboxChange.Appended a -> {
                for (var m : a.messages()) {
                    sm.announceKeywords(m.flags(), s.out);
                    sm.append(m.uid().value());
                }
                if (sm.tracksRecent() && !a.messages().isEmpty()) claimRecent(sm, a.messages());
                reportExists(sm);
            }
            case MailboxChange.Expunged x -> {
                boolean nonePending = sm.pendingExpunges.isEmpty();
                for (Uid u : x.uids()) if (sm.msnOf(u.value()) > 0) sm.pendingExpunges.add(u.value());
                if (nonePending) sm.pendingExpungeModSeq = change.highestModSeq();
                if (allowExpunge) flushExpunges();
            }
            case MailboxChange.FlagsChanged f -> {
                if (change.highestModSeq() == s.suppressFlagsModSeq) return;
                for (Results.FlagUpdate u : f.updates()) {
                    int msn = sm.msnOf(u.uid().value());
                    if (msn == 0 || sm.pendingExpunges.contains(u.uid().value())) continue;
                    writeFlagsFetch(msn, u.uid().value(), u.flags(), u.modSeq().value(), true);
                }
            }
            case MailboxChange.Renamed r -> sm.name = r.newName();
            case MailboxChange.Deleted d -> {
                s.bye("Selected mailbox was deleted");
                throw new SessionEnd();
            }
            case MailboxChange.UidValidityChanged v -> {
                // RFC 9051 §2.3.1.1: UIDs of a selected mailbox may not change under the client; it
                // selects again and sees the new UIDVALIDITY.
                s.bye("UIDVALIDITY of the selected mailbox changed");
                throw new SessionEnd();
            }
        }
    }

    /**
     * New messages this session is told of first are recent here (RFC 3501 §2.3.2): a read-write
     * selection claims them, a read-only one shows those nobody claimed and takes none.
     */
    void claimRecent(SelectedMailbox sm, List<dev.cairn.store.MessageRecord> messages) {
        long first = messages.getFirst().uid().value(), limit = messages.getLast().uid().value() + 1;
        try {
            long from = sm.readOnly ? s.store.firstUnclaimedRecent(sm.id) : s.store.claimRecent(sm.id, limit);
            sm.addRecent(Math.max(first, from), limit);
        } catch (StoreException gone) {
            // the mailbox was deleted meanwhile: its Deleted change follows
        }
    }

    private void flushExpunges() throws IOException {
        SelectedMailbox sm = s.selected;
        if (sm == null || sm.pendingExpunges.isEmpty()) return;
        if (s.qresync) {
            long[] v = sm.pendingExpunges.stream().mapToLong(Long::longValue).toArray();
            for (long u : v) sm.remove(u);
            s.out.line("* VANISHED " + SequenceSet.ofNumbers(v));
        } else {
            // highest first, so no MSN shifts under the ones still to report
            for (Long u : sm.pendingExpunges.descendingSet()) {
                int msn = sm.remove(u);
                if (msn > 0) s.out.line("* " + msn + " EXPUNGE");
            }
        }
        sm.pendingExpunges.clear();
        sm.reportedExists = sm.count();
    }

    void writeFlagsFetch(int msn, long uid, Flags flags, long modSeq, boolean withUid) throws IOException {
        s.selected.announceKeywords(flags, s.out);
        s.out.raw("* " + msn + " FETCH (");
        if (withUid) s.out.raw("UID " + uid + " ");
        s.out.raw("FLAGS " + s.selected.flagList(uid, flags));
        if (s.condStore) s.out.raw(" MODSEQ (" + modSeq + ")");
        s.out.line(")");
    }
}
