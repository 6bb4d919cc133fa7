// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.ImapSession.Result;
import dev.cairn.imap.ImapSession.SessionEnd;
import dev.cairn.imap.syntax.FetchItem;
import dev.cairn.imap.syntax.ImapCommand.*;
import dev.cairn.imap.syntax.Literal;
import dev.cairn.imap.syntax.SequenceSet;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The commands on the selected mailbox's messages: APPEND, FETCH, STORE, COPY/MOVE (RFC 6851),
 * EXPUNGE (UID EXPUNGE of RFC 4315), CLOSE, and the resolving of a command's message set (with
 * {@code $} of RFC 5182) to UIDs.
 */
final class MessageCommands {

    private final ImapSession s;

    MessageCommands(ImapSession s) {
        this.s = s;
    }

    Result append(Append c) throws IOException, InterruptedException {
        List<NewMessage> messages = new ArrayList<>();
        for (AppendMessage m : c.messages()) {
            Literal body = m.message();
            if (body.size() > s.limits.maxLiteralSize()) return Result.no("TOOBIG", "Message too large");
            Flags flags;
            try {
                flags = flagsOf(m.flags());
            } catch (IllegalArgumentException e) {
                return Result.bad("Invalid flag: " + e.getMessage());
            }
            BodySource storable;
            try {
                storable = BinaryAppend.storable(body);
            } catch (BinaryAppend.UnstorableException e) {
                return Result.no("UNKNOWN-CTE", "Cannot store this binary message: " + e.getMessage()); // RFC 3516 §4.3
            }
            messages.add(new NewMessage(storable, flags, m.internalDate() != null ? m.internalDate() : NewMessage.arrivedAt(Instant.now())));
        }
        Results.AppendResult r;
        try {
            r = s.store.append(c.mailbox(), messages);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT) return Result.no("TRYCREATE", "No such mailbox");
            throw e;
        }
        if (s.selected != null && s.selected.id.equals(r.mailbox())) s.reporter.awaitOwnChange(r.modSeq().value(), true);
        // The wait above comes after the store's last look at the cluster lease: look again (a
        // node frozen in between must not acknowledge once its ZooKeeper session is gone).
        s.store.confirmAcknowledgement();
        return Result.ok("APPENDUID " + r.uidValidity() + " " + uidSet(r.uids()), "APPEND completed");
    }

    /** Flags as the store takes them; \Recent is per session and silently dropped (RFC 9051 §2.3.2). */
    private static Flags flagsOf(List<String> names) {
        List<String> kept = new ArrayList<>();
        for (String n : names) {
            if (n.equalsIgnoreCase("\\Recent")) continue;
            if (n.equals("\\*")) throw new IllegalArgumentException("\\*");
            kept.add(n);
        }
        return Flags.of(kept);
    }

    Result expunge(Expunge c) throws IOException, InterruptedException {
        if (s.selected.readOnly) return Result.no("READ-ONLY", "Mailbox is read-only");
        long[] uids = deletedUids(c.uids());
        if (uids.length > 0) {
            Results.ExpungeResult r = s.store.expunge(s.selected.id, uidList(uids));
            if (!r.expunged().isEmpty()) s.reporter.awaitOwnChange(r.modSeq().value(), true);
        }
        if (s.qresync && uids.length > 0) return Result.ok("HIGHESTMODSEQ " + s.selected.toldModSeq(), "EXPUNGE completed");
        return Result.ok("EXPUNGE completed");
    }

    /** UIDs with \Deleted among this session's messages (optionally within a UID set). */
    private long[] deletedUids(SequenceSet uidSet) {
        MailboxSnapshot snap = s.selected.view.snapshot();
        long[] candidates = uidSet == null ? s.selected.resolve(SequenceSet.of(new long[] {1, SequenceSet.STAR}), false)
                : s.selected.resolve(resolveSaved(uidSet, true), true);
        long[] matched = new long[candidates.length];
        int n = 0;
        for (long u : candidates) {
            int i = snap.indexOf(Uid.of(u));
            if (i >= 0 && snap.flags(i).has(Flags.DELETED)) matched[n++] = u;
        }
        return Arrays.copyOf(matched, n);
    }

    /** Replaces {@code $} by the saved search result (RFC 5182), as UIDs or MSNs. */
    private SequenceSet resolveSaved(SequenceSet set, boolean uid) {
        if (!set.isSaved()) return set;
        if (uid) return s.savedSearch.length == 0 ? SequenceSet.of(new long[0]) : SequenceSet.ofNumbers(s.savedSearch);
        long[] msns = Arrays.stream(s.savedSearch).map(u -> s.selected.msnOf(u)).filter(m -> m > 0).sorted().toArray();
        return SequenceSet.ofNumbers(msns);
    }

    /** Resolves a command's set to UIDs; null when it names MSNs that do not exist (BAD). */
    private long[] targetUids(SequenceSet set, boolean uid) {
        SequenceSet resolved = resolveSaved(set, uid);
        if (!uid && !set.isSaved() && !s.selected.validMsns(resolved)) return null;
        return s.selected.resolve(resolved, uid);
    }

    Result fetch(Fetch c) throws IOException, InterruptedException, SessionEnd {
        long[] uids = targetUids(c.set(), c.uid());
        if (uids == null) return Result.bad("Invalid message sequence number");
        if (c.vanished() && !s.qresync) return Result.bad("Enable QRESYNC first");
        boolean modSeqItems = c.changedSince() >= 0 || c.items().stream().anyMatch(i -> i instanceof FetchItem.ModSeq);
        if (modSeqItems) s.reporter.enableCondStore();
        if (c.vanished()) {
            List<Long> vanished = new ArrayList<>();
            long max = s.selected.maxUid();
            for (Results.Tombstone t : s.store.expungedSince(s.selected.id, c.changedSince())) {
                if (c.set().contains(t.uid().value(), Math.max(max, t.uid().value()))) vanished.add(t.uid().value());
            }
            if (!vanished.isEmpty()) {
                s.out.line("* VANISHED (EARLIER) " + SequenceSet.ofNumbers(vanished.stream().mapToLong(Long::longValue).sorted().distinct().toArray()));
            }
        }
        // Non-PEEK body sections set \Seen first (RFC 9051 §6.4.5), so the response shows it.
        boolean setsSeen = !s.selected.readOnly && c.items().stream().anyMatch(i ->
                (i instanceof FetchItem.Body b && !b.peek()) || (i instanceof FetchItem.Binary bin && !bin.peek())
                        || (i instanceof FetchItem.Rfc822 r && r.kind() != dev.cairn.imap.syntax.Section.Kind.HEADER));
        Set<Long> seenNow = new java.util.HashSet<>();
        if (setsSeen) {
            MailboxSnapshot snap = s.selected.view.snapshot();
            List<Uid> unseen = new ArrayList<>();
            for (long u : uids) {
                int i = snap.indexOf(Uid.of(u));
                if (i >= 0 && !snap.flags(i).has(Flags.SEEN)) unseen.add(Uid.of(u));
            }
            if (!unseen.isEmpty()) {
                Results.StoreFlagsResult r = s.store.storeFlags(s.selected.id, unseen, Results.FlagOp.ADD, Flags.of("\\Seen"), java.util.OptionalLong.empty());
                for (Results.FlagUpdate f : r.updated()) seenNow.add(f.uid().value());
                if (r.modSeq() > 0) {
                    // the FETCH below shows the new flags, in place of this change's own report
                    s.suppressFlagsModSeq = r.modSeq();
                    s.reporter.awaitOwnChange(r.modSeq(), c.uid());
                }
            }
        }
        SelectedMailbox sm = s.selected;
        MailboxSnapshot snap = s.reporter.caughtUp(c.uid());
        boolean modSeqs = s.condStore;
        HeavyCommands.Work<Result> work = b -> new FetchResponder(s.store, s.out, b).fetch(sm, snap, uids, c.items(), c.uid(), modSeqs,
                c.changedSince(), seenNow);
        return FetchResponder.isHeavy(c.items(), uids.length) ? s.server.heavy().stream(s.user, work) : work.run(HeavyCommands.Budget.NONE);
    }

    Result storeFlags(Store c) throws IOException, InterruptedException, SessionEnd {
        if (s.selected.readOnly) return Result.no("READ-ONLY", "Mailbox is read-only");
        long[] uids = targetUids(c.set(), c.uid());
        if (uids == null) return Result.bad("Invalid message sequence number");
        Flags flags;
        try {
            flags = flagsOf(c.flags());
        } catch (IllegalArgumentException e) {
            return Result.bad("Invalid flag: " + e.getMessage());
        }
        if (c.unchangedSince() >= 0) s.reporter.enableCondStore();
        Results.FlagOp op = switch (c.op()) {
            case ADD -> Results.FlagOp.ADD;
            case REMOVE -> Results.FlagOp.REMOVE;
            case REPLACE -> Results.FlagOp.REPLACE;
        };
        if (uids.length == 0) return Result.ok("STORE completed");
        Results.StoreFlagsResult r = s.store.storeFlags(s.selected.id, uidList(uids), op, flags,
                c.unchangedSince() >= 0 ? java.util.OptionalLong.of(c.unchangedSince()) : java.util.OptionalLong.empty());
        // RFC 7162 §3.1.3: with UNCHANGEDSINCE the FETCH goes out even for .SILENT
        boolean report = !c.silent() || c.unchangedSince() >= 0;
        if (r.modSeq() > 0) {
            // The change itself is told as any other session's is, in commit order among theirs:
            // a FETCH of it written out of that order could come after a newer state (RFC 7162 §3.1).
            if (!report) s.suppressFlagsModSeq = r.modSeq();
            s.reporter.awaitOwnChange(r.modSeq(), c.uid());
        }
        if (report) {
            // every other message the STORE named gets its FETCH too, as it is now (RFC 9051 §6.4.6;
            // those that failed UNCHANGEDSINCE as RFC 7162 §3.1.3 recommends)
            Set<Long> told = new java.util.HashSet<>();
            for (Results.FlagUpdate f : r.updated()) if (f.modSeq().value() == r.modSeq()) told.add(f.uid().value());
            MailboxSnapshot snap = s.reporter.caughtUp(c.uid());
            for (long uid : uids) {
                int msn = s.selected.msnOf(uid);
                if (msn == 0 || told.contains(uid) || s.selected.pendingExpunges.contains(uid)) continue;
                int i = snap.indexOf(Uid.of(uid));
                if (i >= 0) s.reporter.writeFlagsFetch(msn, uid, snap.flags(i), snap.modSeq(i).value(), true);
            }
        }
        if (!r.modified().isEmpty()) {
            long[] mod = r.modified().stream().mapToLong(u -> c.uid() ? u.value() : s.selected.msnOf(u.value()))
                    .filter(v -> v > 0).sorted().toArray();
            return Result.ok("MODIFIED " + SequenceSet.ofNumbers(mod), "Conditional STORE failed for some messages");
        }
        return Result.ok("STORE completed");
    }

    Result copyOrMove(boolean uid, SequenceSet set, String destination, boolean move) throws IOException, InterruptedException {
        if (move && s.selected.readOnly) return Result.no("READ-ONLY", "Mailbox is read-only");
        long[] uids = targetUids(set, uid);
        if (uids == null) return Result.bad("Invalid message sequence number");
        if (s.store.mailbox(destination).isEmpty()) return Result.no("TRYCREATE", "No such mailbox");
        if (uids.length == 0) return Result.ok((move ? "MOVE" : "COPY") + " completed");
        Results.CopyResult r = move ? s.store.move(s.selected.id, uidList(uids), destination)
                : s.store.copy(s.selected.id, uidList(uids), destination);
        String copyUid = r.sourceUids().isEmpty() ? null
                : "COPYUID " + r.uidValidity() + " " + uidSet(r.sourceUids()) + " " + uidSet(r.destinationUids());
        if (move) {
            // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges
            if (copyUid != null) s.out.line("* OK [" + copyUid + "] Moved");
            s.reporter.awaitOwnChange(r.modSeq().value(), true);
            // RFC 6851 §4.4: with QRESYNC, a MOVE that moved something ends with the new HIGHESTMODSEQ
            if (s.qresync && !r.sourceUids().isEmpty()) return Result.ok("HIGHESTMODSEQ " + s.selected.toldModSeq(), "MOVE completed");
            return Result.ok("MOVE completed");
        }
        if (r.destination().equals(s.selected.id)) s.reporter.awaitOwnChange(r.modSeq().value(), true);
        return copyUid == null ? Result.ok("COPY completed") : Result.ok(copyUid, "COPY completed");
    }

    /** UIDs in the compact set form of UIDPLUS responses, keeping the pairwise order of COPYUID. */
    private static String uidSet(List<Uid> uids) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < uids.size()) {
            int j = i;
            while (j + 1 < uids.size() && uids.get(j + 1).value() == uids.get(j).value() + 1) j++;
            if (sb.length() > 0) sb.append(',');
            sb.append(uids.get(i).value());
            if (j > i) sb.append(':').append(uids.get(j).value());
            i = j + 1;
        }
        return sb.toString();
    }

    private static List<Uid> uidList(long[] uids) {
        List<Uid> l = new ArrayList<>(uids.length);
        for (long u : uids) l.add(Uid.of(u));
        return l;
    }

    /** CLOSE expunges silently, and only in a read-write selection (RFC 9051 §6.4.1). */
    Result close() throws IOException {
        if (!s.selected.readOnly) {
            long[] deleted = deletedUids(null);
            if (deleted.length > 0) s.store.expunge(s.selected.id, uidList(deleted));
        }
        s.mailboxes.unselect();
        return Result.ok("CLOSE completed");
    }
}
