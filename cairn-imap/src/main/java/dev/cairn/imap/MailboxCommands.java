// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.ImapSession.Result;
import dev.cairn.imap.ImapSession.State;
import dev.cairn.imap.syntax.ImapCommand.*;
import dev.cairn.imap.syntax.SequenceSet;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MailboxView;
import dev.cairn.store.Results;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.Uid;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The commands on mailboxes as a whole: SELECT/EXAMINE (with QRESYNC, RFC 7162 §3.2.5), CREATE,
 * DELETE, STATUS (RFC 9051 §6.3), and leaving a selection.
 */
final class MailboxCommands {

    private final ImapSession s;

    MailboxCommands(ImapSession s) {
        this.s = s;
    }

    Result select(String name, boolean readOnly, boolean condStoreParam, QResync qr) throws IOException {
        if (s.selected != null) {
            unselect();
            // RFC 7162 §3.2.11: CONDSTORE is offered, so CLOSED whether or not a session enabled it
            s.out.line("* OK [CLOSED] Previous mailbox closed");
        }
        s.state = State.AUTHENTICATED;
        if (qr != null && !s.qresync) return Result.bad("Enable QRESYNC first");
        if (condStoreParam) s.condStore = true;
        MailboxInfo info = s.store.mailbox(name).orElse(null);
        if (info == null) return Result.no("NONEXISTENT", "No such mailbox");
        SelectedMailbox sm = new SelectedMailbox(info.id(), info.name(), readOnly, info.uidValidity(), s.events);
        MailboxView view = s.store.view(info.id());
        s.events.clear(); // before attaching: what arrives after belongs to this selection
        MailboxView.Attachment attachment = view.attach(sm);
        sm.start(view, attachment);
        MailboxSnapshot snap = attachment.snapshot();
        s.selected = sm;
        s.savedSearch = new long[0];
        s.state = State.SELECTED;

        int firstUnseen = 0;
        for (int i = 0; i < snap.size() && firstUnseen == 0; i++) if (!snap.flags(i).has(Flags.SEEN)) firstUnseen = i + 1;
        sm.writeFlags(s.out, true); // every keyword defined in the mailbox (RFC 9051 §7.3.5)
        s.out.line("* " + sm.count() + " EXISTS");
        MailboxInfo now = snap.info();
        if (!s.rev2) {
            // RFC 3501 §2.3.2: recent here are the messages no session was told of; EXAMINE takes none (§6.3.2)
            long uidNext = now.uidNext();
            sm.startRecent(readOnly ? s.store.firstUnclaimedRecent(sm.id) : s.store.claimRecent(sm.id, uidNext), uidNext);
            s.out.line("* " + sm.recentCount() + " RECENT");
            if (firstUnseen > 0) s.out.line("* OK [UNSEEN " + firstUnseen + "] First unseen");
        }
        s.out.line("* OK [UIDVALIDITY " + now.uidValidity() + "] UIDs valid");
        s.out.line("* OK [UIDNEXT " + now.uidNext() + "] Predicted next UID");
        s.out.line("* OK [HIGHESTMODSEQ " + now.highestModSeq() + "] Highest");
        s.out.line("* OK [MAILBOXID (" + now.id().value() + ")] Ok");
        if (s.rev2) writeListEntry(now);
        if (qr != null && qr.uidValidity() == now.uidValidity()) qresyncReport(qr, snap);
        return Result.ok(readOnly ? "READ-ONLY" : "READ-WRITE", (readOnly ? "EXAMINE" : "SELECT") + " completed");
    }

    /**
     * RFC 9051 §6.3.2: SELECT and EXAMINE in IMAP4rev2 "MUST return a LIST response with the
     * mailbox name" (as stored: INBOX in capitals), its attributes "accurate", as a plain LIST gives them.
     */
    private void writeListEntry(MailboxInfo info) throws IOException {
        String inferiors = info.name() + "/";
        boolean children = s.store.mailboxes().stream().anyMatch(m -> m.name().startsWith(inferiors));
        List<String> attributes = new ArrayList<>();
        attributes.add(children ? "\\HasChildren" : "\\HasNoChildren");
        for (dev.cairn.store.SpecialUse u : info.specialUse()) attributes.add(u.attribute());
        s.out.raw("* LIST (" + String.join(" ", attributes) + ") \"/\" ").mailbox(info.name()).crlf();
    }

    /** RFC 7162 §3.2.5.2: what changed since the client's MODSEQ: VANISHED (EARLIER), then FETCH. */
    private void qresyncReport(QResync qr, MailboxSnapshot snap) throws IOException {
        List<Results.Tombstone> gone = s.store.expungedSince(s.selected.id, qr.modSeq());
        List<Long> vanished = new ArrayList<>();
        for (Results.Tombstone t : gone) {
            long u = t.uid().value();
            if (qr.knownUids() == null || qr.knownUids().contains(u, Uid.MAX)) vanished.add(u);
        }
        if (!vanished.isEmpty()) {
            long[] v = vanished.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
            s.out.line("* VANISHED (EARLIER) " + SequenceSet.ofNumbers(v));
        }
        for (int i = 0; i < snap.size(); i++) {
            if (snap.modSeq(i).value() <= qr.modSeq()) continue;
            long u = snap.uid(i).value();
            if (qr.knownUids() != null && !qr.knownUids().contains(u, Uid.MAX)) continue;
            s.reporter.writeFlagsFetch(i + 1, u, snap.flags(i), snap.modSeq(i).value(), true);
        }
    }

    void unselect() {
        if (s.selected != null) s.selected.close();
        s.selected = null;
        s.events.clear();
        s.state = State.AUTHENTICATED;
    }

    Result create(Create c) throws IOException {
        Set<SpecialUse> uses = java.util.EnumSet.noneOf(SpecialUse.class);
        for (String u : c.specialUse()) {
            SpecialUse su = SpecialUse.fromAttribute(u).orElse(null);
            if (su == null) return Result.no("USEATTR", "Unsupported special-use attribute " + u);
            uses.add(su);
        }
        String name = c.mailbox();
        if (name.endsWith("/")) name = name.substring(0, name.length() - 1); // RFC 9051 §6.3.4
        MailboxInfo info = s.store.createMailbox(name, uses);
        return Result.ok("MAILBOXID (" + info.id().value() + ")", "CREATE completed");
    }

    Result status(Status c) throws IOException {
        MailboxInfo info = s.store.mailbox(c.mailbox()).orElse(null);
        if (info == null) return Result.no("NONEXISTENT", "No such mailbox");
        for (String item : c.items()) {
            if (!Set.of("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "HIGHESTMODSEQ", "RECENT",
                    "APPENDLIMIT", "MAILBOXID").contains(item)) return Result.bad("Unknown STATUS item " + item);
        }
        if (c.items().contains("HIGHESTMODSEQ")) s.reporter.enableCondStore();
        writeStatus(info, c.items());
        return Result.ok("STATUS completed");
    }

    void writeStatus(MailboxInfo info, List<String> items) throws IOException {
        s.out.raw("* STATUS ").mailbox(info.name()).raw(" (");
        boolean first = true;
        for (String item : items) {
            if (!first) s.out.sp();
            first = false;
            s.out.raw(item).sp();
            switch (item) {
                case "MESSAGES" -> s.out.number(info.messages());
                case "UIDNEXT" -> s.out.number(info.uidNext());
                case "UIDVALIDITY" -> s.out.number(info.uidValidity());
                case "UNSEEN" -> s.out.number(info.unseen());
                case "DELETED" -> s.out.number(info.deleted());
                case "SIZE" -> s.out.number(info.size());
                case "HIGHESTMODSEQ" -> s.out.number(info.highestModSeq());
                case "RECENT" -> s.out.number(s.rev2 ? 0 : unclaimedRecent(info));
                case "APPENDLIMIT" -> s.out.number(s.limits.maxLiteralSize());
                case "MAILBOXID" -> s.out.raw("(" + info.id().value() + ")");
                default -> s.out.raw("NIL");
            }
        }
        s.out.raw(")").crlf();
    }

    /** STATUS RECENT (RFC 3501 §6.3.10): the messages no session has been told of yet. */
    private long unclaimedRecent(MailboxInfo info) {
        long first = s.store.firstUnclaimedRecent(info.id());
        if (first >= info.uidNext()) return 0;
        MailboxSnapshot snap = s.store.view(info.id()).snapshot();
        int i = snap.indexOf(Uid.of(first));
        return snap.size() - (i >= 0 ? i : -i - 1);
    }

    /** RFC 9051 §6.3.5 lets the server choose: deleting the selected mailbox leaves it first. */
    Result delete(Delete c) throws IOException {
        if (s.selected != null && s.selected.name.equals(c.mailbox())) {
            unselect();
            s.out.line("* OK [CLOSED] Previous mailbox closed");
        }
        s.store.deleteMailbox(c.mailbox());
        return Result.ok("DELETE completed");
    }
}
