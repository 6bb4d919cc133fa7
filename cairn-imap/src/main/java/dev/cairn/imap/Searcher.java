// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.HeavyCommands.Budget;
import dev.cairn.imap.syntax.ImapCommand;
import dev.cairn.imap.syntax.SearchKey;
import dev.cairn.imap.syntax.SequenceSet;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.ParsedMessage.BodyPart;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.mime.DateHeader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * SEARCH (RFC 9051 §6.4.4), SORT and THREAD (RFC 5256) over a session's messages. What a search
 * costs is bounded by its messages, not by what a sender put in them: of each message at most
 * {@value #MAX_TEXT} characters of header and of body text are searched, substrings are found in
 * linear time, and the budget is checked per message and per key.
 */
final class Searcher {
    record Outcome(long[] uids, boolean usedModSeq, long highestModSeq) {}

    /** Characters of a message's header, and of its body text, that BODY, TEXT and HEADER look at. */
    static final int MAX_TEXT = 4_000_000;

    private final UserStore store;
    private final Budget budget;
    private final Map<String, Needle> needles = new HashMap<>();
    private boolean usedModSeq;

    Searcher(UserStore store, Budget budget) {
        this.store = store;
        this.budget = budget;
    }

    /** One message while it is being matched; the costly parts are loaded when a key needs them. */
    private final class Candidate {
        final SelectedMailbox sm;
        final int msn;
        final long uid;
        final Flags flags;
        final long modSeq;
        MessageRecord record;
        MessageParts parts;
        String header;
        String[] headerLines;
        String body;
        String baseSubject;

        Candidate(SelectedMailbox sm, int msn, long uid, Flags flags, long modSeq) {
            this.sm = sm;
            this.msn = msn;
            this.uid = uid;
            this.flags = flags;
            this.modSeq = modSeq;
        }

        MessageRecord record() {
            if (record == null) record = store.message(sm.id, Uid.of(uid)).orElseThrow(() -> new GoneException());
            return record;
        }

        MessageParts parts() {
            if (parts == null) parts = new MessageParts(store, record());
            return parts;
        }

        ParsedMessage parsed() { return parts().parsed(); }

        String baseSubject() {
            if (baseSubject == null) baseSubject = BaseSubject.of(parsed().envelope().subject()).key();
            return baseSubject;
        }

        /** The header unfolded, encoded words decoded, lower case. */
        String header() {
            if (header == null) {
                try {
                    long end = Math.min(parts().root().bodyOffset(), MAX_TEXT);
                    header = decodeHeader(new String(parts().read(0, end), StandardCharsets.UTF_8)).toLowerCase(Locale.ROOT);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return header;
        }

        String[] headerLines() {
            if (headerLines == null) headerLines = header().split("\n");
            return headerLines;
        }

        /** The decoded text parts, lower case. */
        String body() {
            if (body == null) {
                try {
                    body = text(parts()).toLowerCase(Locale.ROOT);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return body;
        }
    }

    /** A message expunged while it was being searched: it simply does not match. */
    private static final class GoneException extends RuntimeException {
        GoneException() { super(null, null, false, false); }
    }

    Outcome search(SelectedMailbox sm, SearchKey key, long[] saved) {
        List<Candidate> matches = matching(sm, key, saved);
        long[] uids = matches.stream().mapToLong(c -> c.uid).toArray();
        long highest = matches.stream().mapToLong(c -> c.modSeq).max().orElse(0);
        return new Outcome(uids, usedModSeq, highest);
    }

    private List<Candidate> matching(SelectedMailbox sm, SearchKey key, long[] saved) {
        MailboxSnapshot snap = sm.view.snapshot();
        List<Candidate> out = new ArrayList<>();
        for (int msn = 1; msn <= sm.count(); msn++) {
            budget.check();
            long uid = sm.uidAt(msn);
            int i = snap.indexOf(Uid.of(uid));
            if (i < 0) continue;
            Candidate c = new Candidate(sm, msn, uid, snap.flags(i), snap.modSeq(i).value());
            try {
                if (matches(c, key, saved)) out.add(c);
            } catch (GoneException gone) {
                // expunged by another session meanwhile
            }
        }
        return out;
    }

    private boolean matches(Candidate c, SearchKey key, long[] saved) {
        budget.check();
        return switch (key) {
            case SearchKey.All a -> true;
            case SearchKey.Flag f -> (f.keyword() != null ? c.flags.hasKeyword(f.keyword()) : c.flags.has(f.bit())) == f.set();
            // \Recent is per session, IMAP4rev1 only (RFC 3501 §6.4.4: RECENT, OLD, and NEW = RECENT UNSEEN)
            case SearchKey.Recent r -> c.sm.isRecent(c.uid) == r.set();
            case SearchKey.New n -> c.sm.isRecent(c.uid) && !c.flags.has(Flags.SEEN);
            case SearchKey.Header h -> headerMatches(c, h.field(), h.value());
            case SearchKey.Body b -> needle(b.text()).in(c.body());
            case SearchKey.Text t -> needle(t.text()).in(c.header()) || needle(t.text()).in(c.body());
            case SearchKey.InternalDate d -> compare(c.record().internalDate().toLocalDate(), d.op(), d.date());
            case SearchKey.SentDate d -> compare(sentDay(c), d.op(), d.date());
            case SearchKey.SaveDate d -> c.record().saveDate() != null && compare(utcDate(c.record().saveDate()), d.op(), d.date());
            case SearchKey.SaveDateSupported s -> true;
            case SearchKey.Size s -> s.larger() ? c.record().size() > s.size() : c.record().size() < s.size();
            case SearchKey.Uid u -> {
                if (u.set().isSaved()) yield Arrays.binarySearch(saved, c.uid) >= 0;
                yield u.set().contains(c.uid, c.sm.maxUid());
            }
            case SearchKey.Sequence s -> {
                if (s.set().isSaved()) yield Arrays.binarySearch(saved, c.uid) >= 0;
                yield s.set().contains(c.msn, c.sm.count());
            }
            case SearchKey.Not n -> !matches(c, n.key(), saved);
            case SearchKey.Or o -> matches(c, o.a(), saved) || matches(c, o.b(), saved);
            case SearchKey.And a -> {
                for (SearchKey k : a.keys()) if (!matches(c, k, saved)) yield false;
                yield true;
            }
            case SearchKey.ModSeq m -> {
                usedModSeq = true;
                yield c.modSeq >= m.modSeq();
            }
            case SearchKey.Age a -> {
                Instant limit = Instant.now().minusSeconds(a.seconds());
                Instant date = c.record().internalDate().toInstant();
                yield a.older() ? !date.isAfter(limit) : !date.isBefore(limit);
            }
            case SearchKey.EmailId e -> c.record().emailId().equals(e.id());
            case SearchKey.ThreadId t -> t.id().equals(c.record().threadId());
        };
    }

    /**
     * RFC 9051 §6.4.4: SENTBEFORE, SENTON and SENTSINCE compare the Date: header "disregarding time
     * and timezone", that is the calendar date the header states. A Date: header with no date in
     * it falls back as RFC 5256 §2.2 does for SORT: a date mime4j still reads, else the internal date.
     */
    private static LocalDate sentDay(Candidate c) {
        LocalDate stated = DateHeader.calendarDate(c.parsed().envelope().date());
        if (stated != null) return stated;
        Instant sent = c.parsed().sentDate();
        return sent != null ? utcDate(sent) : c.record().internalDate().toLocalDate();
    }

    /**
     * An instant's calendar date in UTC, the zone FETCH shows SAVEDATE in. (BEFORE, ON and SINCE
     * take the internal date's own calendar date, in the offset it was given in and FETCH
     * INTERNALDATE shows: RFC 9051 §6.4.4 "disregarding time and timezone".)
     */
    private static LocalDate utcDate(Instant instant) { return instant.atZone(ZoneOffset.UTC).toLocalDate(); }

    private static boolean compare(LocalDate d, SearchKey.DateOp op, LocalDate date) {
        return switch (op) {
            case BEFORE -> d.isBefore(date);
            case ON -> d.isEqual(date);
            case SINCE -> !d.isBefore(date);
        };
    }

    private boolean headerMatches(Candidate c, String field, String value) {
        Needle v = needle(value);
        if (!value.isEmpty()) {
            List<ParsedMessage.Address> addresses = addressField(c, field);
            if (addresses != null) return addressesContain(addresses, v);
        }
        String prefix = field.toLowerCase(Locale.ROOT) + ":";
        for (String line : c.headerLines()) {
            if (line.startsWith(prefix) && v.in(line, prefix.length())) return true;
        }
        return false;
    }

    private Needle needle(String text) { return needles.computeIfAbsent(text, t -> new Needle(t.toLowerCase(Locale.ROOT))); }

    /**
     * RFC 9051 §6.4.4: FROM, TO, CC and BCC match "the envelope structure's" field, so they search
     * the parsed addresses, not the header's text: comments and folding are gone and a trailing
     * comment is the name, as in FETCH ENVELOPE. HEADER FROM and its kin share the search key and
     * match the same way, as Dovecot's do; an empty string still tests whether the field is there.
     * Null for a field that is not an address field or that the message does not have.
     */
    private static List<ParsedMessage.Address> addressField(Candidate c, String field) {
        ParsedMessage.Envelope e = switch (field.toLowerCase(Locale.ROOT)) {
            case "from", "to", "cc", "bcc" -> c.parsed().envelope();
            default -> null;
        };
        if (e == null) return null;
        return switch (field.toLowerCase(Locale.ROOT)) {
            case "from" -> e.from();
            case "to" -> e.to();
            case "cc" -> e.cc();
            default -> e.bcc();
        };
    }

    /** Whether any address, written "name &lt;mailbox@host&gt;" (names decoded), or any group name, contains the text. */
    private static boolean addressesContain(List<ParsedMessage.Address> addresses, Needle text) {
        for (ParsedMessage.Address a : addresses) {
            StringBuilder sb = new StringBuilder();
            if (a.name() != null) sb.append(EncodedWords.decode(a.name())).append(" <");
            if (a.mailbox() != null) sb.append(a.mailbox());
            if (a.host() != null && !a.host().isEmpty()) sb.append('@').append(a.host());
            if (a.name() != null) sb.append('>');
            if (text.in(sb.toString().toLowerCase(Locale.ROOT))) return true;
        }
        return false;
    }

    /** Unfolds a header block into one line per field and decodes RFC 2047 words. */
    static String decodeHeader(String raw) {
        String unfolded = raw.replace("\r\n", "\n").replaceAll("\n[ \t]+", " ");
        return EncodedWords.decode(unfolded);
    }

    /**
     * The decoded text of every text part (and embedded message headers), for BODY and TEXT, up
     * to {@value #MAX_TEXT} characters: the parts in the order of the message, read in one pass,
     * each decoded as far as it goes (a broken part is searched, not an error).
     */
    private String text(MessageParts parts) throws IOException {
        StringBuilder sb = new StringBuilder();
        Deque<BodyPart> todo = new ArrayDeque<>();
        todo.push(parts.root());
        try (MessageParts.Forward reader = parts.new Forward()) {
            while (!todo.isEmpty() && sb.length() < MAX_TEXT) {
                budget.check();
                BodyPart p = todo.pop();
                int room = MAX_TEXT - sb.length();
                if (p.isMultipart()) {
                    for (BodyPart child : p.children().reversed()) todo.push(child);
                } else if (p.isMessage() && p.embedded() != null) {
                    BodyPart inner = p.embedded();
                    sb.append(decodeHeader(new String(reader.read(inner.headerOffset(), inner.bodyOffset(), room), StandardCharsets.UTF_8)));
                    todo.push(inner);
                } else if (p.type() == null || p.type().equalsIgnoreCase("text")) {
                    byte[] raw = TransferDecoding.leniently(reader.read(p.bodyOffset(), p.endOffset(), room), p.encoding());
                    sb.append(new String(raw, charsetOf(p))).append('\n');
                }
            }
        }
        return sb.length() > MAX_TEXT ? sb.substring(0, MAX_TEXT) : sb.toString();
    }

    private static Charset charsetOf(BodyPart p) {
        if (p.parameters() != null) {
            for (ParsedMessage.Parameter param : p.parameters()) {
                if (param.name().equalsIgnoreCase("charset") && param.value() != null) {
                    try {
                        return Charset.forName(param.value().trim());
                    } catch (RuntimeException unknown) {
                        return StandardCharsets.UTF_8;
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    // ---- SORT (RFC 5256 §3) ----

    String sort(SelectedMailbox sm, ImapCommand.Sort c, long[] saved) {
        List<Candidate> matches = matching(sm, c.key(), saved);
        budget.check();
        Comparator<Candidate> order = null;
        for (String criterion : c.criteria()) {
            boolean reverse = criterion.startsWith("REVERSE ");
            String name = reverse ? criterion.substring(8) : criterion;
            Comparator<Candidate> one = switch (name) {
                // RFC 5256 §3: ARRIVAL is the internal date as a point in time, whatever zone each was given in
                case "ARRIVAL" -> Comparator.comparing((Candidate m) -> m.record().internalDate().toInstant());
                case "DATE" -> Comparator.comparing(Searcher::sentDate);
                case "SIZE" -> Comparator.comparingLong((Candidate m) -> m.record().size());
                case "SUBJECT" -> Comparator.comparing(Candidate::baseSubject, SortKeys.ORDER);
                case "FROM" -> Comparator.comparing((Candidate m) -> SortKeys.firstMailbox(m.parsed().envelope().from()), SortKeys.ORDER);
                case "TO" -> Comparator.comparing((Candidate m) -> SortKeys.firstMailbox(m.parsed().envelope().to()), SortKeys.ORDER);
                case "CC" -> Comparator.comparing((Candidate m) -> SortKeys.firstMailbox(m.parsed().envelope().cc()), SortKeys.ORDER);
                case "DISPLAYFROM" -> Comparator.comparing((Candidate m) -> SortKeys.display(m.parsed().envelope().from()), SortKeys.ORDER);
                case "DISPLAYTO" -> Comparator.comparing((Candidate m) -> SortKeys.display(m.parsed().envelope().to()), SortKeys.ORDER);
                default -> throw new IllegalArgumentException("Unknown sort criterion " + name);
            };
            if (reverse) one = one.reversed();
            order = order == null ? one : order.thenComparing(one);
        }
        order = order.thenComparingInt(m -> m.msn);
        matches.sort(order);
        StringBuilder sb = new StringBuilder();
        for (Candidate m : matches) sb.append(' ').append(c.uid() ? m.uid : m.msn);
        return sb.toString();
    }

    private static Instant sentDate(Candidate m) {
        Instant s = m.parsed().sentDate();
        return s != null ? s : m.record().internalDate().toInstant();
    }


    // ---- THREAD (RFC 5256 §4; REFERENCES is in ReferencesThreads) ----

    /** ORDEREDSUBJECT (RFC 5256 §4): a thread per base subject, the rest children of its first message. */
    private static final class Node {
        Candidate message;
        final List<Node> children = new ArrayList<>();
    }

    String thread(SelectedMailbox sm, ImapCommand.ThreadCommand c, long[] saved) {
        List<Candidate> matches = matching(sm, c.key(), saved);
        if (c.algorithm().equals("REFERENCES")) {
            List<ReferencesThreads.Message> messages = new ArrayList<>(matches.size());
            for (Candidate m : matches) {
                budget.check();
                ParsedMessage.Envelope e = m.parsed().envelope();
                messages.add(new ReferencesThreads.Message(c.uid() ? m.uid : m.msn, m.msn, e.messageId(), e.inReplyTo(),
                        m.parsed().references(), e.subject(), sentDate(m)));
            }
            return ReferencesThreads.render(messages, budget);
        }
        matches.sort(Comparator.comparing(Searcher::sentDate).thenComparingInt(m -> m.msn));
        List<Node> roots = orderedSubject(matches);
        StringBuilder sb = new StringBuilder(" ");
        for (Node r : roots) {
            sb.append('(');
            write(r, sb, c.uid());
            sb.append(')');
        }
        return sb.toString().equals(" ") ? "" : sb.toString();
    }

    private List<Node> orderedSubject(List<Candidate> sorted) {
        Map<String, Node> bySubject = new LinkedHashMap<>();
        for (Candidate m : sorted) {
            budget.check();
            String base = m.baseSubject();
            Node n = new Node();
            n.message = m;
            Node root = bySubject.get(base);
            if (root == null) bySubject.put(base, n);
            else root.children.add(n);
        }
        return new ArrayList<>(bySubject.values());
    }

    private static void write(Node n, StringBuilder sb, boolean uid) {
        boolean wrote = false;
        if (n.message != null) {
            sb.append(uid ? n.message.uid : n.message.msn);
            wrote = true;
        }
        if (n.children.size() == 1 && n.message != null) {
            sb.append(' ');
            write(n.children.get(0), sb, uid);
        } else if (!n.children.isEmpty()) {
            if (wrote) sb.append(' ');
            for (Node child : n.children) {
                sb.append('(');
                write(child, sb, uid);
                sb.append(')');
            }
        }
    }
}
