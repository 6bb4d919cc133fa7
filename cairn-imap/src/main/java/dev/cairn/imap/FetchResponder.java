// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.HeavyCommands.Budget;
import dev.cairn.imap.ImapSession.Result;
import dev.cairn.imap.syntax.FetchItem;
import dev.cairn.imap.syntax.ResponseWriter;
import dev.cairn.imap.syntax.Section;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.ParsedMessage.Address;
import dev.cairn.store.ParsedMessage.BodyPart;
import dev.cairn.store.ParsedMessage.Parameter;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes FETCH responses (RFC 9051 §7.5.2) for a session's messages. Everything that can fail
 * for a message (it was expunged meanwhile, a BINARY part cannot be decoded) is found out
 * before its response line is started: a line once begun must be finished.
 */
final class FetchResponder {
    /** date-time of RFC 9051 §9 in the zone of the value formatted. */
    private static final DateTimeFormatter AT_OFFSET = DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm:ss Z", Locale.ENGLISH);
    /** The same for an instant: in UTC. */
    static final DateTimeFormatter DATE_TIME = AT_OFFSET.withZone(ZoneOffset.UTC);
    private static final int BATCH = 256;

    private final UserStore store;
    private final ResponseWriter out;
    private final Budget budget;

    FetchResponder(UserStore store, ResponseWriter out, Budget budget) {
        this.store = store;
        this.out = out;
        this.budget = budget;
    }

    /** Messages whose envelopes or structures a FETCH may ask on the session's own thread. */
    static final int LIGHT_MESSAGES = 64;

    /**
     * Whether a FETCH is heavy: it sends bodies, or the envelopes or structures of more than
     * {@value #LIGHT_MESSAGES} messages. Flags, sizes and a screenful of envelopes are light.
     */
    static boolean isHeavy(List<FetchItem> items, int messages) {
        return items.stream().anyMatch(FetchResponder::needsBody)
                || (messages > LIGHT_MESSAGES && items.stream().anyMatch(FetchResponder::needsParse));
    }

    /**
     * Writes the responses.
     *
     * @param snap         the state to answer from: one the session has caught up with, so nothing
     *                     it says is older than what it told before
     * @param flagsChanged messages whose \Seen this FETCH set: their FLAGS go out, and once
     *                     CONDSTORE is on their UID and MODSEQ too (RFC 7162 §3.2.4)
     * @return OK, or NO [UNKNOWN-CTE] (RFC 3516 §4.3) at the first BINARY part that cannot be decoded
     */
    Result fetch(SelectedMailbox sm, MailboxSnapshot snap, long[] uids, List<FetchItem> items, boolean uidCommand,
                 boolean condStore, long changedSince, Set<Long> flagsChanged) throws IOException {
        boolean needRecord = items.stream().anyMatch(i -> !(i instanceof FetchItem.Flags || i instanceof FetchItem.Uid || i instanceof FetchItem.ModSeq));
        boolean wantFlags = items.stream().anyMatch(i -> i instanceof FetchItem.Flags);
        boolean wantModSeq = items.stream().anyMatch(i -> i instanceof FetchItem.ModSeq) || (condStore && (wantFlags || changedSince >= 0));
        for (int from = 0; from < uids.length; from += BATCH) {
            int to = Math.min(uids.length, from + BATCH);
            Map<Long, MessageRecord> records = new HashMap<>();
            if (needRecord) {
                List<Uid> batch = new ArrayList<>(to - from);
                for (int k = from; k < to; k++) batch.add(Uid.of(uids[k]));
                for (MessageRecord r : store.messages(sm.id, batch)) records.put(r.uid().value(), r);
            }
            for (int k = from; k < to; k++) {
                budget.check();
                long uid = uids[k];
                int i = snap.indexOf(Uid.of(uid));
                int msn = sm.msnOf(uid);
                if (i < 0 || msn == 0) continue; // expunged meanwhile: nothing to say (RFC 9051 §7.5.1 lets us omit it)
                if (changedSince >= 0 && snap.modSeq(i).value() <= changedSince) continue;
                MessageRecord record = records.get(uid);
                if (needRecord && record == null) continue;
                boolean seenNow = condStore && flagsChanged.contains(uid);
                try {
                    writeOne(sm, msn, uid, snap.flags(i), snap.modSeq(i).value(), record, items, uidCommand || seenNow,
                            wantFlags || flagsChanged.contains(uid), wantModSeq || seenNow);
                } catch (TransferDecoding.UndecodableException e) {
                    return Result.no("UNKNOWN-CTE", e.getMessage());
                }
            }
        }
        return Result.ok("FETCH completed");
    }

    private void writeOne(SelectedMailbox sm, int msn, long uid, Flags flags, long modSeq, MessageRecord record,
                          List<FetchItem> items, boolean withUid, boolean withFlags, boolean withModSeq)
            throws IOException, TransferDecoding.UndecodableException {
        MessageParts parts = record == null ? null : new MessageParts(store, record);
        if (parts != null && !parts.load(items.stream().anyMatch(FetchResponder::needsParse),
                items.stream().anyMatch(FetchResponder::needsBody))) {
            return; // expunged (by another session) after this FETCH looked it up
        }
        // BINARY decodes before the line starts: a part that cannot be decoded fails the command cleanly
        Map<FetchItem, byte[]> decoded = new java.util.IdentityHashMap<>();
        for (FetchItem item : items) {
            switch (item) {
                case FetchItem.Binary b -> decoded.put(item, parts.decoded(b.part()));
                case FetchItem.BinarySize b -> decoded.put(item, parts.decoded(b.part()));
                default -> { }
            }
        }
        if (withFlags) sm.announceKeywords(flags, out); // FLAGS names a keyword before any FETCH shows it
        out.raw("* " + msn + " FETCH (");
        boolean first = true;
        boolean uidWritten = false;
        if (withUid) {
            out.raw("UID " + uid);
            first = false;
            uidWritten = true;
        }
        if (withFlags) {
            if (!first) out.sp();
            out.raw("FLAGS " + sm.flagList(uid, flags));
            first = false;
        }
        if (withModSeq) {
            if (!first) out.sp();
            out.raw("MODSEQ (" + modSeq + ")");
            first = false;
        }
        for (FetchItem item : items) {
            if (item instanceof FetchItem.Flags || item instanceof FetchItem.ModSeq) continue;
            if (item instanceof FetchItem.Uid && uidWritten) continue;
            if (!first) out.sp();
            first = false;
            switch (item) {
                case FetchItem.Flags f -> { }
                case FetchItem.ModSeq m -> { }
                case FetchItem.Uid u -> {
                    out.raw("UID " + uid);
                    uidWritten = true;
                }
                case FetchItem.InternalDate d -> out.raw("INTERNALDATE \"" + AT_OFFSET.format(record.internalDate()) + "\"");
                case FetchItem.Rfc822Size s -> out.raw("RFC822.SIZE " + record.size());
                case FetchItem.Envelope e -> {
                    out.raw("ENVELOPE ");
                    envelope(parts.parsed().envelope());
                }
                case FetchItem.Structure s -> {
                    out.raw(s.extensible() ? "BODYSTRUCTURE " : "BODY ");
                    body(parts.root(), s.extensible());
                }
                case FetchItem.Rfc822 r -> {
                    Section section = new Section(new int[0], r.kind(), List.of());
                    out.raw(switch (r.kind()) {
                        case HEADER -> "RFC822.HEADER ";
                        case TEXT -> "RFC822.TEXT ";
                        default -> "RFC822 ";
                    });
                    content(parts, parts.section(section), -1, -1);
                }
                case FetchItem.Body b -> {
                    out.raw("BODY[" + b.section().spec() + "]");
                    if (b.offset() >= 0) out.raw("<" + b.offset() + ">");
                    out.sp();
                    content(parts, parts.section(b.section()), b.offset(), b.length());
                }
                case FetchItem.Binary b -> {
                    out.raw("BINARY[" + path(b.part()) + "]");
                    if (b.offset() >= 0) out.raw("<" + b.offset() + ">");
                    out.sp();
                    byte[] data = decoded.get(item);
                    if (data == null) {
                        out.raw("NIL");
                    } else {
                        if (b.offset() >= 0) data = slice(data, b.offset(), b.length());
                        boolean binary = false;
                        for (byte x : data) if (x == 0) { binary = true; break; }
                        out.literal(data, 0, data.length, binary);
                    }
                }
                case FetchItem.BinarySize b -> {
                    byte[] data = decoded.get(item);
                    out.raw("BINARY.SIZE[" + path(b.part()) + "] " + (data == null ? "NIL" : Long.toString(data.length)));
                }
                case FetchItem.EmailId e -> out.raw("EMAILID (" + record.emailId() + ")");
                case FetchItem.ThreadId t -> out.raw(record.threadId() == null ? "THREADID NIL" : "THREADID (" + record.threadId() + ")");
                case FetchItem.SaveDate s -> out.raw(record.saveDate() == null ? "SAVEDATE NIL" : "SAVEDATE \"" + DATE_TIME.format(record.saveDate()) + "\"");
            }
        }
        out.raw(")").crlf();
    }

    private static String path(int[] part) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < part.length; i++) {
            if (i > 0) sb.append('.');
            sb.append(part[i]);
        }
        return sb.toString();
    }

    private static boolean needsParse(FetchItem item) {
        return item instanceof FetchItem.Envelope || item instanceof FetchItem.Structure || needsBody(item);
    }

    private static boolean needsBody(FetchItem item) {
        return item instanceof FetchItem.Body || item instanceof FetchItem.Rfc822 || item instanceof FetchItem.Binary
                || item instanceof FetchItem.BinarySize;
    }

    private static byte[] slice(byte[] data, long offset, long length) {
        if (offset >= data.length) return new byte[0];
        int end = (int) Math.min(data.length, offset + length);
        return java.util.Arrays.copyOfRange(data, (int) offset, end);
    }

    /** A section's bytes as a literal, sliced by a partial range; NIL when the section names nothing. */
    private void content(MessageParts parts, MessageParts.Content c, long offset, long length) throws IOException {
        if (c == null) {
            out.raw("NIL");
            return;
        }
        long total = c.length();
        long start = 0, n = total;
        if (offset >= 0) {
            start = Math.min(offset, total);
            n = Math.min(length, total - start);
        }
        // Already in memory (a filtered header, a body read before the line began): written from
        // there, without a stream copying it through a buffer of its own.
        byte[] held = c.bytes() != null ? c.bytes() : parts.loadedBody();
        long from = (c.bytes() != null ? 0 : c.start()) + start;
        if (held != null && from + n <= held.length) {
            out.literal(held, (int) from, (int) n, false);
            return;
        }
        try (InputStream in = parts.open(c)) {
            in.skipNBytes(start);
            out.literal(in, n, false);
        }
    }

    void envelope(ParsedMessage.Envelope e) throws IOException {
        out.raw("(");
        out.string(e.date()).sp().string(e.subject()).sp();
        addresses(e.from());
        out.sp();
        addresses(e.sender() == null || e.sender().isEmpty() ? e.from() : e.sender());
        out.sp();
        addresses(e.replyTo() == null || e.replyTo().isEmpty() ? e.from() : e.replyTo());
        out.sp();
        addresses(e.to());
        out.sp();
        addresses(e.cc());
        out.sp();
        addresses(e.bcc());
        out.sp().string(e.inReplyTo()).sp().string(e.messageId()).raw(")");
    }

    private void addresses(List<Address> list) throws IOException {
        if (list == null || list.isEmpty()) {
            out.raw("NIL");
            return;
        }
        out.raw("(");
        for (Address a : list) {
            out.raw("(").string(a.name()).sp().string(a.adl()).sp().string(a.mailbox()).sp().string(a.host()).raw(")");
        }
        out.raw(")");
    }

    void body(BodyPart p, boolean extensible) throws IOException {
        out.raw("(");
        if (p.isMultipart() && !p.children().isEmpty()) {
            for (BodyPart child : p.children()) body(child, extensible);
            out.sp().string(p.subtype());
            if (extensible) {
                out.sp();
                parameters(p.parameters());
                out.sp();
                extension(p);
            }
        } else {
            String type = p.isMultipart() ? "text" : p.type();
            String subtype = p.isMultipart() ? "plain" : p.subtype();
            out.string(type).sp().string(subtype).sp();
            parameters(p.parameters());
            out.sp().string(p.id()).sp().string(p.description()).sp().string(p.encoding() == null ? "7BIT" : p.encoding())
                    .sp().number(Math.max(0, p.size()));
            if (p.isMessage() && p.embedded() != null && p.embeddedEnvelope() != null) {
                out.sp();
                envelope(p.embeddedEnvelope());
                out.sp();
                body(p.embedded(), extensible);
                out.sp().number(Math.max(0, p.lines()));
            } else if ("text".equalsIgnoreCase(type)) {
                out.sp().number(Math.max(0, p.lines()));
            }
            if (extensible) {
                out.sp().string(p.md5()).sp();
                extension(p);
            }
        }
        out.raw(")");
    }

    /** body-fld-dsp SP body-fld-lang SP body-fld-loc */
    private void extension(BodyPart p) throws IOException {
        if (p.disposition() == null) {
            out.raw("NIL");
        } else {
            out.raw("(").string(p.disposition().type()).sp();
            parameters(p.disposition().parameters());
            out.raw(")");
        }
        out.sp();
        if (p.language() == null || p.language().isEmpty()) {
            out.raw("NIL");
        } else if (p.language().size() == 1) {
            out.string(p.language().get(0));
        } else {
            out.raw("(");
            for (int i = 0; i < p.language().size(); i++) {
                if (i > 0) out.sp();
                out.string(p.language().get(i));
            }
            out.raw(")");
        }
        out.sp().string(p.location());
    }

    private void parameters(List<Parameter> params) throws IOException {
        if (params == null || params.isEmpty()) {
            out.raw("NIL");
            return;
        }
        out.raw("(");
        for (int i = 0; i < params.size(); i++) {
            if (i > 0) out.sp();
            out.string(params.get(i).name()).sp().string(params.get(i).value() == null ? "" : params.get(i).value());
        }
        out.raw(")");
    }

    static String formatDate(Instant i) { return DATE_TIME.format(i); }
}
