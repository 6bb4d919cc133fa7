// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import dev.cairn.imap.syntax.ImapCommand.AppendMessage;
import dev.cairn.store.Flags;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns a {@link RawCommand} into a tag and an {@link ImapCommand} following the grammar of
 * RFC 9051 §9 and the extensions served. Every repetition is bounded: parentheses and the search
 * keys that hold other keys (NOT, OR) nest at most {@code maxNesting} deep together, a
 * sequence-set has at most {@code maxRanges} ranges. The only recursion is that nesting, so a
 * command costs time linear in its length and stack in {@code maxNesting}.
 */
public final class CommandParser {
    /** How to read the next command; {@code utf8Names} after ENABLE IMAP4rev2 or UTF8=ACCEPT (RFC 6855). */
    public record Options(boolean utf8Names, int maxNesting, int maxRanges) {}

    public record Tagged(String tag, ImapCommand command) {}

    private static final String[] MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

    private CommandParser() {}

    /** Reads the tag alone, for answering a command that fails to parse (null when absent/invalid). */
    public static String tagOf(RawCommand raw) {
        try {
            return new Cursor(raw, new Options(false, 1, 1)).tag();
        } catch (ParseException e) {
            return null;
        }
    }

    public static Tagged parse(RawCommand raw, Options options) throws ParseException {
        Cursor c = new Cursor(raw, options);
        String tag = c.tag();
        c.sp();
        String name = c.atom().toUpperCase(Locale.ROOT);
        ImapCommand command = new Parser(c, options).command(name);
        if (!c.atEnd()) throw new ParseException("Unexpected characters at end of " + name);
        return new Tagged(tag, command);
    }

    private record Parser(Cursor c, Options options) {
        ImapCommand command(String name) throws ParseException {
            return switch (name) {
                case "CAPABILITY" -> new ImapCommand.Capability();
                case "NOOP" -> new ImapCommand.Noop();
                case "LOGOUT" -> new ImapCommand.Logout();
                case "STARTTLS" -> new ImapCommand.StartTls();
                case "AUTHENTICATE" -> {
                    c.sp();
                    String mech = c.atom().toUpperCase(Locale.ROOT);
                    String ir = null;
                    if (c.optionalSp()) ir = c.atomLike(ch -> ch > ' ' && ch < 0x7f);
                    yield new ImapCommand.Authenticate(mech, ir);
                }
                case "LOGIN" -> {
                    c.sp();
                    String user = c.astring();
                    c.sp();
                    yield new ImapCommand.Login(user, c.astring());
                }
                case "ENABLE" -> {
                    List<String> caps = new ArrayList<>();
                    do {
                        c.sp();
                        caps.add(c.atom().toUpperCase(Locale.ROOT));
                    } while (!c.atEnd());
                    yield new ImapCommand.Enable(caps);
                }
                case "SELECT", "EXAMINE" -> select(name);
                case "CREATE" -> {
                    c.sp();
                    String mailbox = mailbox();
                    Set<String> use = new LinkedHashSet<>();
                    if (c.optionalSp()) {
                        // RFC 6154 §5.3: CREATE name (USE (\Sent ...))
                        c.open();
                        String p = c.atom().toUpperCase(Locale.ROOT);
                        if (!p.equals("USE")) throw new ParseException("Unknown CREATE parameter " + p);
                        c.sp();
                        c.open();
                        do use.add(c.flag()); while (c.optionalSp());
                        c.close();
                        c.close();
                    }
                    yield new ImapCommand.Create(mailbox, use);
                }
                case "DELETE" -> { c.sp(); yield new ImapCommand.Delete(mailbox()); }
                case "RENAME" -> {
                    c.sp();
                    String from = mailbox();
                    c.sp();
                    yield new ImapCommand.Rename(from, mailbox());
                }
                case "SUBSCRIBE" -> { c.sp(); yield new ImapCommand.Subscribe(mailbox()); }
                case "UNSUBSCRIBE" -> { c.sp(); yield new ImapCommand.Unsubscribe(mailbox()); }
                case "LIST" -> list();
                case "LSUB" -> {
                    c.sp();
                    String ref = listReference();
                    c.sp();
                    yield new ImapCommand.Lsub(ref, listMailbox());
                }
                case "NAMESPACE" -> new ImapCommand.Namespace();
                case "STATUS" -> {
                    c.sp();
                    String mailbox = mailbox();
                    c.sp();
                    yield new ImapCommand.Status(mailbox, atomList());
                }
                case "APPEND" -> append();
                case "IDLE" -> new ImapCommand.Idle();
                case "CHECK" -> new ImapCommand.Check();
                case "CLOSE" -> new ImapCommand.Close();
                case "UNSELECT" -> new ImapCommand.Unselect();
                case "EXPUNGE" -> new ImapCommand.Expunge(null);
                case "SEARCH" -> search(false);
                case "FETCH" -> fetch(false);
                case "STORE" -> store(false);
                case "COPY" -> { c.sp(); SequenceSet s = set(); c.sp(); yield new ImapCommand.Copy(false, s, mailbox()); }
                case "MOVE" -> { c.sp(); SequenceSet s = set(); c.sp(); yield new ImapCommand.Move(false, s, mailbox()); }
                case "UID" -> {
                    c.sp();
                    String sub = c.atom().toUpperCase(Locale.ROOT);
                    yield switch (sub) {
                        case "FETCH" -> fetch(true);
                        case "STORE" -> store(true);
                        case "SEARCH" -> search(true);
                        case "COPY" -> { c.sp(); SequenceSet s = set(); c.sp(); yield new ImapCommand.Copy(true, s, mailbox()); }
                        case "MOVE" -> { c.sp(); SequenceSet s = set(); c.sp(); yield new ImapCommand.Move(true, s, mailbox()); }
                        case "EXPUNGE" -> { c.sp(); yield new ImapCommand.Expunge(set()); }
                        case "SORT" -> sort(true);
                        case "THREAD" -> thread(true);
                        default -> throw new ParseException("Unknown UID command " + sub);
                    };
                }
                case "ID" -> {
                    c.sp();
                    List<String> fields = new ArrayList<>();
                    if (c.peek() == '(') {
                        c.open();
                        if (c.peek() != ')') {
                            do {
                                fields.add(c.string());
                                c.sp();
                                fields.add(c.nstring());
                            } while (c.optionalSp());
                        }
                        c.close();
                        if (fields.size() > 60) throw new ParseException("Too many ID fields (RFC 2971 allows 30)");
                    } else {
                        c.nil();
                    }
                    yield new ImapCommand.Id(fields);
                }
                case "COMPRESS" -> { c.sp(); yield new ImapCommand.Compress(c.atom().toUpperCase(Locale.ROOT)); }
                case "GETQUOTA" -> { c.sp(); yield new ImapCommand.GetQuota(c.astring()); }
                case "GETQUOTAROOT" -> { c.sp(); yield new ImapCommand.GetQuotaRoot(mailbox()); }
                case "SETQUOTA" -> {
                    c.sp();
                    String root = c.astring();
                    c.sp();
                    c.open();
                    List<String> limits = new ArrayList<>();
                    if (c.peek() != ')') {
                        do limits.add(c.atom()); while (c.optionalSp());
                    }
                    c.close();
                    yield new ImapCommand.SetQuota(root, limits);
                }
                case "GETACL" -> { c.sp(); yield new ImapCommand.GetAcl(mailbox()); }
                case "MYRIGHTS" -> { c.sp(); yield new ImapCommand.MyRights(mailbox()); }
                case "SETACL" -> {
                    c.sp();
                    String m = mailbox();
                    c.sp();
                    String id = c.astring();
                    c.sp();
                    yield new ImapCommand.SetAcl(m, id, c.astring());
                }
                case "DELETEACL" -> { c.sp(); String m = mailbox(); c.sp(); yield new ImapCommand.DeleteAcl(m, c.astring()); }
                case "LISTRIGHTS" -> { c.sp(); String m = mailbox(); c.sp(); yield new ImapCommand.ListRights(m, c.astring()); }
                case "SORT" -> sort(false);
                case "THREAD" -> thread(false);
                default -> throw new ParseException("Unknown command " + name);
            };
        }

        private ImapCommand select(String name) throws ParseException {
            c.sp();
            String mailbox = mailbox();
            boolean condStore = false;
            ImapCommand.QResync qresync = null;
            if (c.optionalSp()) {
                c.open();
                do {
                    String p = c.atom().toUpperCase(Locale.ROOT);
                    switch (p) {
                        case "CONDSTORE" -> condStore = true;
                        case "QRESYNC" -> {
                            c.sp();
                            c.open();
                            long validity = c.number(false);
                            c.sp();
                            long modSeq = c.number64();
                            SequenceSet known = null, seqs = null, uids = null;
                            if (c.optionalSp()) {
                                if (c.peek() != '(') {
                                    known = set();
                                    c.optionalSp();
                                }
                                if (c.peek() == '(') {
                                    c.open();
                                    seqs = set();
                                    c.sp();
                                    uids = set();
                                    c.close();
                                }
                            }
                            c.close();
                            qresync = new ImapCommand.QResync(validity, modSeq, known, seqs, uids);
                        }
                        default -> throw new ParseException("Unknown " + name + " parameter " + p);
                    }
                } while (c.optionalSp());
                c.close();
            }
            return name.equals("SELECT") ? new ImapCommand.Select(mailbox, condStore, qresync)
                    : new ImapCommand.Examine(mailbox, condStore, qresync);
        }

        private ImapCommand list() throws ParseException {
            c.sp();
            Set<String> select = new LinkedHashSet<>();
            boolean extended = false;
            if (c.peek() == '(') {
                extended = true;
                c.open();
                if (c.peek() != ')') {
                    do select.add(c.atom().toUpperCase(Locale.ROOT)); while (c.optionalSp());
                }
                c.close();
                c.sp();
            }
            String ref = listReference();
            c.sp();
            List<String> patterns = new ArrayList<>();
            if (c.peek() == '(') {
                extended = true;
                c.open();
                do patterns.add(listMailbox()); while (c.optionalSp());
                c.close();
            } else {
                patterns.add(listMailbox());
            }
            Set<String> ret = new LinkedHashSet<>();
            List<String> statusItems = List.of();
            if (c.optionalSp()) {
                extended = true;
                if (!c.atom().equalsIgnoreCase("RETURN")) throw new ParseException("Expected RETURN");
                c.sp();
                c.open();
                if (c.peek() != ')') {
                    do {
                        String o = c.atom().toUpperCase(Locale.ROOT);
                        ret.add(o);
                        if (o.equals("STATUS")) {
                            c.sp();
                            statusItems = atomList();
                        }
                    } while (c.optionalSp());
                }
                c.close();
            }
            return new ImapCommand.List(ref, patterns, select, ret, statusItems, extended);
        }

        private ImapCommand append() throws ParseException {
            c.sp();
            String mailbox = mailbox();
            List<AppendMessage> messages = new ArrayList<>();
            while (c.optionalSp()) {
                List<String> flags = List.of();
                Instant date = null;
                if (c.peek() == '(') {
                    flags = flagList();
                    c.sp();
                }
                if (c.peek() == '"') {
                    date = dateTime(c.quoted());
                    c.sp();
                }
                if (c.peekWord("UTF8")) {
                    // RFC 6855 §4: APPEND ... UTF8 (~{N}) carries a message with UTF-8 headers
                    c.atom();
                    c.sp();
                    c.open();
                    if (c.peek() != Cursor.LITERAL) throw new ParseException("UTF8 needs a literal8");
                    messages.add(new AppendMessage(flags, date, c.literal()));
                    c.close();
                    continue;
                }
                if (c.peek() != Cursor.LITERAL) throw new ParseException("APPEND needs the message as a literal");
                messages.add(new AppendMessage(flags, date, c.literal()));
            }
            if (messages.isEmpty()) throw new ParseException("APPEND without a message");
            return new ImapCommand.Append(mailbox, messages);
        }

        private ImapCommand search(boolean uid) throws ParseException {
            Set<String> ret = new LinkedHashSet<>();
            boolean esearch = false;
            String charset = null;
            c.sp();
            if (c.peekWord("RETURN")) {
                c.atom();
                c.sp();
                esearch = true;
                c.open();
                if (c.peek() != ')') {
                    do ret.add(c.atom().toUpperCase(Locale.ROOT)); while (c.optionalSp());
                }
                c.close();
                for (String r : ret) {
                    if (!Set.of("MIN", "MAX", "ALL", "COUNT", "SAVE").contains(r)) throw new ParseException("Unknown RETURN option " + r);
                }
                if (ret.isEmpty()) ret.add("ALL"); // RFC 4731 §3.1
                c.sp();
            }
            if (c.peekWord("CHARSET")) {
                c.atom();
                c.sp();
                charset = c.astring().toUpperCase(Locale.ROOT);
                c.sp();
                c.useCharset(charset);
            }
            return new ImapCommand.Search(uid, charset, ret, esearch, searchKeys());
        }

        private ImapCommand sort(boolean uid) throws ParseException {
            c.sp();
            c.open();
            List<String> criteria = new ArrayList<>();
            do {
                String k = c.atom().toUpperCase(Locale.ROOT);
                if (k.equals("REVERSE")) {
                    c.sp();
                    k = "REVERSE " + c.atom().toUpperCase(Locale.ROOT);
                }
                criteria.add(k);
            } while (c.optionalSp());
            c.close();
            c.sp();
            String charset = c.astring().toUpperCase(Locale.ROOT);
            c.sp();
            c.useCharset(charset);
            return new ImapCommand.Sort(uid, criteria, charset, searchKeys());
        }

        private ImapCommand thread(boolean uid) throws ParseException {
            c.sp();
            String algorithm = c.atom().toUpperCase(Locale.ROOT);
            c.sp();
            String charset = c.astring().toUpperCase(Locale.ROOT);
            c.sp();
            return new ImapCommand.Thread(uid, algorithm, charset, searchKeys());
        }

        private SearchKey searchKeys() throws ParseException {
            c.searchStrings = true;
            List<SearchKey> keys = new ArrayList<>();
            do keys.add(searchKey()); while (c.optionalSp());
            return keys.size() == 1 ? keys.get(0) : new SearchKey.And(keys);
        }

        private SearchKey searchKey() throws ParseException {
            int p = c.peek();
            if (p == '(') {
                c.open();
                List<SearchKey> keys = new ArrayList<>();
                do keys.add(searchKey()); while (c.optionalSp());
                c.close();
                return keys.size() == 1 ? keys.get(0) : new SearchKey.And(keys);
            }
            if ((p >= '0' && p <= '9') || p == '*' || p == '$') return new SearchKey.Sequence(set());
            String k = c.atom().toUpperCase(Locale.ROOT);
            return switch (k) {
                case "ALL" -> new SearchKey.All();
                case "ANSWERED" -> new SearchKey.Flag(Flags.ANSWERED, null, true);
                case "DELETED" -> new SearchKey.Flag(Flags.DELETED, null, true);
                case "DRAFT" -> new SearchKey.Flag(Flags.DRAFT, null, true);
                case "FLAGGED" -> new SearchKey.Flag(Flags.FLAGGED, null, true);
                case "SEEN" -> new SearchKey.Flag(Flags.SEEN, null, true);
                case "UNANSWERED" -> new SearchKey.Flag(Flags.ANSWERED, null, false);
                case "UNDELETED" -> new SearchKey.Flag(Flags.DELETED, null, false);
                case "UNDRAFT" -> new SearchKey.Flag(Flags.DRAFT, null, false);
                case "UNFLAGGED" -> new SearchKey.Flag(Flags.FLAGGED, null, false);
                case "UNSEEN" -> new SearchKey.Flag(Flags.SEEN, null, false);
                case "KEYWORD" -> { c.sp(); yield new SearchKey.Flag(0, c.atom(), true); }
                case "UNKEYWORD" -> { c.sp(); yield new SearchKey.Flag(0, c.atom(), false); }
                case "RECENT" -> new SearchKey.Recent(true);
                case "OLD" -> new SearchKey.Recent(false);
                case "NEW" -> new SearchKey.New();
                case "BCC", "CC", "FROM", "SUBJECT", "TO" -> { c.sp(); yield new SearchKey.Header(k, c.astring()); }
                case "HEADER" -> { c.sp(); String f = c.astring(); c.sp(); yield new SearchKey.Header(f, c.astring()); }
                case "BODY" -> { c.sp(); yield new SearchKey.Body(c.astring()); }
                case "TEXT" -> { c.sp(); yield new SearchKey.Text(c.astring()); }
                case "BEFORE" -> { c.sp(); yield new SearchKey.InternalDate(SearchKey.DateOp.BEFORE, date()); }
                case "ON" -> { c.sp(); yield new SearchKey.InternalDate(SearchKey.DateOp.ON, date()); }
                case "SINCE" -> { c.sp(); yield new SearchKey.InternalDate(SearchKey.DateOp.SINCE, date()); }
                case "SENTBEFORE" -> { c.sp(); yield new SearchKey.SentDate(SearchKey.DateOp.BEFORE, date()); }
                case "SENTON" -> { c.sp(); yield new SearchKey.SentDate(SearchKey.DateOp.ON, date()); }
                case "SENTSINCE" -> { c.sp(); yield new SearchKey.SentDate(SearchKey.DateOp.SINCE, date()); }
                case "SAVEDBEFORE" -> { c.sp(); yield new SearchKey.SaveDate(SearchKey.DateOp.BEFORE, date()); }
                case "SAVEDON" -> { c.sp(); yield new SearchKey.SaveDate(SearchKey.DateOp.ON, date()); }
                case "SAVEDSINCE" -> { c.sp(); yield new SearchKey.SaveDate(SearchKey.DateOp.SINCE, date()); }
                case "SAVEDATESUPPORTED" -> new SearchKey.SaveDateSupported();
                case "LARGER" -> { c.sp(); yield new SearchKey.Size(true, c.number64()); }
                case "SMALLER" -> { c.sp(); yield new SearchKey.Size(false, c.number64()); }
                case "UID" -> { c.sp(); yield new SearchKey.Uid(set()); }
                case "NOT" -> {
                    c.sp();
                    c.enter();
                    SearchKey not = new SearchKey.Not(searchKey());
                    c.leave();
                    yield not;
                }
                case "OR" -> {
                    c.sp();
                    c.enter();
                    SearchKey a = searchKey();
                    c.sp();
                    SearchKey or = new SearchKey.Or(a, searchKey());
                    c.leave();
                    yield or;
                }
                case "MODSEQ" -> {
                    c.sp();
                    if (c.peek() == '"') {
                        // entry name and type (RFC 7162 §3.1.5): accepted, per-flag modseqs are not kept
                        c.quoted();
                        c.sp();
                        c.atom();
                        c.sp();
                    }
                    yield new SearchKey.ModSeq(c.number64());
                }
                case "OLDER" -> { c.sp(); yield new SearchKey.Age(true, c.number(false)); }
                case "YOUNGER" -> { c.sp(); yield new SearchKey.Age(false, c.number(false)); }
                case "EMAILID" -> { c.sp(); yield new SearchKey.EmailId(c.atom()); }
                case "THREADID" -> { c.sp(); yield new SearchKey.ThreadId(c.atom()); }
                default -> throw new ParseException("Unknown search key " + k);
            };
        }

        private ImapCommand fetch(boolean uid) throws ParseException {
            c.sp();
            SequenceSet set = set();
            c.sp();
            List<FetchItem> items = new ArrayList<>();
            if (c.peek() == '(') {
                c.open();
                do fetchItem(items); while (c.optionalSp());
                c.close();
            } else {
                String first = c.peekWordUpper();
                switch (first) {
                    case "ALL" -> { c.atom(); items.addAll(List.of(new FetchItem.Flags(), new FetchItem.InternalDate(), new FetchItem.Rfc822Size(), new FetchItem.Envelope())); }
                    case "FAST" -> { c.atom(); items.addAll(List.of(new FetchItem.Flags(), new FetchItem.InternalDate(), new FetchItem.Rfc822Size())); }
                    case "FULL" -> { c.atom(); items.addAll(List.of(new FetchItem.Flags(), new FetchItem.InternalDate(), new FetchItem.Rfc822Size(), new FetchItem.Envelope(), new FetchItem.Structure(false))); }
                    default -> fetchItem(items);
                }
            }
            long changedSince = -1;
            boolean vanished = false;
            if (c.optionalSp()) {
                c.open();
                do {
                    String m = c.atom().toUpperCase(Locale.ROOT);
                    switch (m) {
                        case "CHANGEDSINCE" -> { c.sp(); changedSince = c.number64(); }
                        case "VANISHED" -> vanished = true;
                        default -> throw new ParseException("Unknown FETCH modifier " + m);
                    }
                } while (c.optionalSp());
                c.close();
            }
            if (vanished && (!uid || changedSince < 0)) throw new ParseException("VANISHED needs UID FETCH and CHANGEDSINCE");
            return new ImapCommand.Fetch(uid, set, items, changedSince, vanished);
        }

        private void fetchItem(List<FetchItem> items) throws ParseException {
            String name = c.atomLike(ch -> Syntax.isAtomChar(ch) && ch != '[' && ch != '<').toUpperCase(Locale.ROOT);
            switch (name) {
                case "FLAGS" -> items.add(new FetchItem.Flags());
                case "INTERNALDATE" -> items.add(new FetchItem.InternalDate());
                case "RFC822.SIZE" -> items.add(new FetchItem.Rfc822Size());
                case "ENVELOPE" -> items.add(new FetchItem.Envelope());
                case "BODYSTRUCTURE" -> items.add(new FetchItem.Structure(true));
                case "UID" -> items.add(new FetchItem.Uid());
                case "MODSEQ" -> items.add(new FetchItem.ModSeq());
                case "RFC822" -> items.add(new FetchItem.Rfc822(Section.Kind.ALL));
                case "RFC822.HEADER" -> items.add(new FetchItem.Rfc822(Section.Kind.HEADER));
                case "RFC822.TEXT" -> items.add(new FetchItem.Rfc822(Section.Kind.TEXT));
                case "EMAILID" -> items.add(new FetchItem.EmailId());
                case "THREADID" -> items.add(new FetchItem.ThreadId());
                case "SAVEDATE" -> items.add(new FetchItem.SaveDate());
                case "BODY", "BODY.PEEK" -> {
                    if (c.peek() != '[') {
                        if (name.equals("BODY.PEEK")) throw new ParseException("BODY.PEEK needs a section");
                        items.add(new FetchItem.Structure(false));
                        return;
                    }
                    Section s = section();
                    long[] partial = partial();
                    items.add(new FetchItem.Body(s, name.equals("BODY.PEEK"), partial[0], partial[1]));
                }
                case "BINARY", "BINARY.PEEK", "BINARY.SIZE" -> {
                    c.expect('[');
                    int[] part = partPath();
                    c.expect(']');
                    if (name.equals("BINARY.SIZE")) {
                        items.add(new FetchItem.BinarySize(part));
                    } else {
                        long[] partial = partial();
                        items.add(new FetchItem.Binary(part, name.equals("BINARY.PEEK"), partial[0], partial[1]));
                    }
                }
                default -> throw new ParseException("Unknown FETCH item " + name);
            }
        }

        private int[] partPath() throws ParseException {
            List<Integer> parts = new ArrayList<>();
            while (c.peek() >= '1' && c.peek() <= '9') {
                long n = c.number(false);
                if (n > 10_000) throw new ParseException("Section part number too large");
                parts.add((int) n);
                if (c.peek() != '.') break;
                c.expect('.');
            }
            if (parts.size() > 100) throw new ParseException("Section nested too deep");
            return parts.stream().mapToInt(Integer::intValue).toArray();
        }

        private Section section() throws ParseException {
            c.expect('[');
            int[] part = partPath();
            Section.Kind kind = Section.Kind.ALL;
            List<String> fields = List.of();
            if (c.peek() != ']') {
                String k = c.atomLike(ch -> Syntax.isAtomChar(ch) && ch != '[').toUpperCase(Locale.ROOT);
                kind = switch (k) {
                    case "HEADER" -> Section.Kind.HEADER;
                    case "HEADER.FIELDS" -> Section.Kind.HEADER_FIELDS;
                    case "HEADER.FIELDS.NOT" -> Section.Kind.HEADER_FIELDS_NOT;
                    case "TEXT" -> Section.Kind.TEXT;
                    case "MIME" -> {
                        if (part.length == 0) throw new ParseException("MIME needs a part number");
                        yield Section.Kind.MIME;
                    }
                    default -> throw new ParseException("Unknown section " + k);
                };
                if (kind == Section.Kind.HEADER_FIELDS || kind == Section.Kind.HEADER_FIELDS_NOT) {
                    c.sp();
                    c.open();
                    List<String> f = new ArrayList<>();
                    do f.add(c.astring()); while (c.optionalSp());
                    c.close();
                    if (f.size() > 1000) throw new ParseException("Too many header fields");
                    fields = f;
                }
            }
            c.expect(']');
            return new Section(part, kind, fields);
        }

        private long[] partial() throws ParseException {
            if (c.peek() != '<') return new long[] {-1, -1};
            c.expect('<');
            long offset = c.number(true);
            c.expect('.');
            long length = c.number(false);
            c.expect('>');
            return new long[] {offset, length};
        }

        private ImapCommand store(boolean uid) throws ParseException {
            c.sp();
            SequenceSet set = set();
            c.sp();
            long unchangedSince = -1;
            if (c.peek() == '(') {
                c.open();
                String m = c.atom().toUpperCase(Locale.ROOT);
                if (!m.equals("UNCHANGEDSINCE")) throw new ParseException("Unknown STORE modifier " + m);
                c.sp();
                unchangedSince = c.number(true);
                c.close();
                c.sp();
            }
            String item = c.atom().toUpperCase(Locale.ROOT);
            ImapCommand.StoreOp op;
            if (item.startsWith("+")) { op = ImapCommand.StoreOp.ADD; item = item.substring(1); }
            else if (item.startsWith("-")) { op = ImapCommand.StoreOp.REMOVE; item = item.substring(1); }
            else op = ImapCommand.StoreOp.REPLACE;
            boolean silent;
            if (item.equals("FLAGS")) silent = false;
            else if (item.equals("FLAGS.SILENT")) silent = true;
            else throw new ParseException("Unknown STORE item " + item);
            c.sp();
            List<String> flags;
            if (c.peek() == '(') flags = flagList();
            else {
                flags = new ArrayList<>();
                do flags.add(c.flag()); while (c.optionalSp());
            }
            return new ImapCommand.Store(uid, set, unchangedSince, op, silent, flags);
        }

        private List<String> flagList() throws ParseException {
            c.open();
            List<String> flags = new ArrayList<>();
            if (c.peek() != ')') {
                do flags.add(c.flag()); while (c.optionalSp());
            }
            c.close();
            return flags;
        }

        private List<String> atomList() throws ParseException {
            c.open();
            List<String> out = new ArrayList<>();
            if (c.peek() != ')') {
                do out.add(c.atom().toUpperCase(Locale.ROOT)); while (c.optionalSp());
            }
            c.close();
            return out;
        }

        private SequenceSet set() throws ParseException {
            String text = c.atomLike(ch -> (ch >= '0' && ch <= '9') || ch == ':' || ch == ',' || ch == '*' || ch == '$');
            SequenceSet s = SequenceSet.parse(text, options.maxRanges());
            if (s == null) {
                if (text.split(",", -1).length > options.maxRanges()) throw new ParseException("LIMIT", "Sequence set has too many ranges");
                throw new ParseException("Invalid sequence set " + abbreviate(text));
            }
            return s;
        }

        private String mailbox() throws ParseException { return decodeName(c.astring()); }

        /**
         * A LIST or LSUB reference or pattern. One that no mailbox name can have (not valid modified
         * UTF-7, a control character) is not an error: it matches nothing, so LIST answers OK with no
         * names (RFC 9051 §6.3.9).
         */
        private String listMailbox() throws ParseException {
            int p = c.peek();
            String raw = (p == '"' || p == Cursor.LITERAL) ? c.string() : c.atomLike(ch -> Syntax.isListChar(ch) || ch >= 0x80);
            return listName(raw);
        }

        private String listReference() throws ParseException { return listName(c.astring()); }

        private String listName(String raw) throws ParseException {
            try {
                return decodeName(raw);
            } catch (ParseException invalid) {
                return MATCHES_NOTHING;
            }
        }

        /**
         * RFC 3501 §5.1.3, RFC 9051 §5.1: a name that is not valid modified UTF-7 (or holds a control
         * character) is a well-formed command naming a mailbox that cannot exist: NO [CANNOT]
         * (RFC 5530 §3 lists CANNOT among NO codes), never BAD.
         */
        private String decodeName(String raw) throws ParseException {
            String name = raw;
            if (!options.utf8Names()) {
                try {
                    name = ModifiedUtf7.decode(raw);
                } catch (ModifiedUtf7.InvalidException e) {
                    throw ParseException.declined("CANNOT", "Invalid mailbox name: " + e.getMessage());
                }
            }
            for (int i = 0; i < name.length(); i++) {
                char ch = name.charAt(i);
                if (ch < 0x20 || ch == 0x7f) throw ParseException.declined("CANNOT", "Control character in mailbox name");
            }
            return normaliseInbox(name);
        }

        private LocalDate date() throws ParseException {
            String s = c.peek() == '"' ? c.quoted() : c.atom();
            return parseDate(s);
        }
    }

    /**
     * What a LIST reference or pattern that no name can have stands for: a control character,
     * which no mailbox name holds, so the pattern it makes matches nothing.
     */
    public static final String MATCHES_NOTHING = "\u0000";

    public static String normaliseInbox(String name) {
        if (name.equalsIgnoreCase("INBOX")) return "INBOX";
        if (name.length() > 6 && name.regionMatches(true, 0, "INBOX/", 0, 6)) return "INBOX" + name.substring(5);
        return name;
    }

    static LocalDate parseDate(String s) throws ParseException {
        String[] p = s.split("-");
        if (p.length != 3 || p[0].isEmpty() || p[0].length() > 2 || p[2].length() != 4) throw new ParseException("Invalid date " + abbreviate(s));
        try {
            int month = month(p[1]);
            return LocalDate.of(Integer.parseInt(p[2]), month, Integer.parseInt(p[0]));
        } catch (RuntimeException e) {
            throw new ParseException("Invalid date " + abbreviate(s));
        }
    }

    private static int month(String m) throws ParseException {
        for (int i = 0; i < 12; i++) if (MONTHS[i].equalsIgnoreCase(m)) return i + 1;
        throw new ParseException("Invalid month " + abbreviate(m));
    }

    /** date-time of RFC 9051 §9: "dd-Mon-yyyy hh:mm:ss +zzzz", day possibly space-padded. */
    static Instant dateTime(String s) throws ParseException {
        if (s.length() != 26) throw new ParseException("Invalid date-time " + abbreviate(s));
        try {
            int day = Integer.parseInt(s.substring(0, 2).trim());
            if (s.charAt(2) != '-' || s.charAt(6) != '-' || s.charAt(11) != ' ' || s.charAt(14) != ':' || s.charAt(17) != ':' || s.charAt(20) != ' ') {
                throw new ParseException("Invalid date-time " + abbreviate(s));
            }
            int month = month(s.substring(3, 6));
            int year = Integer.parseInt(s.substring(7, 11));
            int hour = Integer.parseInt(s.substring(12, 14));
            int minute = Integer.parseInt(s.substring(15, 17));
            int second = Integer.parseInt(s.substring(18, 20));
            char sign = s.charAt(21);
            if (sign != '+' && sign != '-') throw new ParseException("Invalid zone in date-time");
            int zh = Integer.parseInt(s.substring(22, 24));
            int zm = Integer.parseInt(s.substring(24, 26));
            ZoneOffset zone = ZoneOffset.ofHoursMinutes(sign == '-' ? -zh : zh, sign == '-' ? -zm : zm);
            return ZonedDateTime.of(year, month, day, hour, minute, second, 0, zone).toInstant();
        } catch (RuntimeException e) {
            throw new ParseException("Invalid date-time " + abbreviate(s));
        }
    }

    static String abbreviate(String s) { return s.length() > 40 ? s.substring(0, 40) + "..." : s; }

    /** Position in the segments of a command, with the tokens of the grammar. */
    static final class Cursor {
        static final int END = -1;
        static final int LITERAL = -2;
        private final List<RawCommand.Segment> segments;
        private final Options options;
        private int segment;
        private int pos;
        private int depth;
        private java.nio.charset.Charset charset = StandardCharsets.UTF_8;
        boolean searchStrings;

        Cursor(RawCommand raw, Options options) {
            this.segments = raw.segments();
            this.options = options;
        }

        int peek() {
            while (segment < segments.size()) {
                RawCommand.Segment s = segments.get(segment);
                if (s instanceof Literal) return LITERAL;
                byte[] b = ((RawCommand.Text) s).bytes();
                if (pos < b.length) return b[pos] & 0xff;
                segment++;
                pos = 0;
            }
            return END;
        }

        boolean atEnd() { return peek() == END; }

        private int next() {
            int c = peek();
            if (c >= 0) pos++;
            return c;
        }

        void expect(char ch) throws ParseException {
            int c = peek();
            if (c != ch) throw new ParseException("Expected '" + ch + "'" + (c == END ? " before end of line" : ""));
            pos++;
        }

        void sp() throws ParseException { expect(' '); }

        boolean optionalSp() {
            if (peek() == ' ') {
                pos++;
                return true;
            }
            return false;
        }

        void open() throws ParseException {
            expect('(');
            if (++depth > options.maxNesting()) throw new ParseException("LIMIT", "Parentheses nested too deep");
        }

        void close() throws ParseException {
            expect(')');
            depth--;
        }

        /**
         * A search key that holds others without parentheses (NOT, OR): it nests like a
         * parenthesis and counts against the same limit, so "NOT NOT ... ALL" is as bounded as
         * "((( ... )))".
         */
        void enter() throws ParseException {
            if (++depth > options.maxNesting()) throw new ParseException("LIMIT", "Search keys nested too deep");
        }

        void leave() { depth--; }

        String tag() throws ParseException {
            String t = atomLike(Syntax::isTagChar);
            return t;
        }

        String atom() throws ParseException { return atomLike(Syntax::isAtomChar); }

        String atomLike(java.util.function.IntPredicate allowed) throws ParseException {
            int start = pos;
            int c = peek();
            if (c < 0 || !allowed.test(c)) throw new ParseException(c == END ? "Missing argument" : "Unexpected character");
            byte[] b = ((RawCommand.Text) segments.get(segment)).bytes();
            while (pos < b.length && allowed.test(b[pos] & 0xff)) pos++;
            return utf8(java.util.Arrays.copyOfRange(b, start, pos));
        }

        /** The next word, upper-cased, without consuming it ("" if none). */
        String peekWordUpper() {
            int c = peek();
            if (c < 0) return "";
            byte[] b = ((RawCommand.Text) segments.get(segment)).bytes();
            int e = pos;
            while (e < b.length && Syntax.isAtomChar(b[e] & 0xff)) e++;
            return new String(b, pos, e - pos, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
        }

        boolean peekWord(String word) {
            int c = peek();
            if (c < 0) return false;
            byte[] b = ((RawCommand.Text) segments.get(segment)).bytes();
            int e = pos + word.length();
            if (e > b.length) return false;
            if (e < b.length && Syntax.isAtomChar(b[e] & 0xff)) return false;
            return new String(b, pos, word.length(), StandardCharsets.US_ASCII).equalsIgnoreCase(word);
        }

        Literal literal() throws ParseException {
            if (peek() != LITERAL) throw new ParseException("Expected a literal");
            Literal l = (Literal) segments.get(segment);
            segment++;
            pos = 0;
            return l;
        }

        String quoted() throws ParseException {
            expect('"');
            byte[] b = ((RawCommand.Text) segments.get(segment)).bytes();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            while (true) {
                if (pos >= b.length) throw new ParseException("Unterminated quoted string");
                int ch = b[pos++] & 0xff;
                if (ch == '"') break;
                if (ch == '\\') {
                    if (pos >= b.length) throw new ParseException("Unterminated quoted string");
                    int e = b[pos++] & 0xff;
                    if (e != '"' && e != '\\') throw new ParseException("Invalid escape in quoted string");
                    ch = e;
                }
                out.write(ch);
            }
            return decodeString(out.toByteArray());
        }

        String string() throws ParseException {
            int c = peek();
            if (c == '"') return quoted();
            if (c == LITERAL) {
                Literal l = literal();
                if (l.bytes() == null) throw new ParseException("Literal too large for a string");
                return decodeString(l.bytes());
            }
            throw new ParseException("Expected a string");
        }

        String astring() throws ParseException {
            int c = peek();
            if (c == '"' || c == LITERAL) return string();
            // 8-bit octets are taken in atoms too (UTF-8 names from clients that do not quote them)
            return atomLike(ch -> Syntax.isAstringChar(ch) || ch >= 0x80);
        }

        String nstring() throws ParseException {
            if (peekWord("NIL")) {
                atom();
                return null;
            }
            return string();
        }

        void nil() throws ParseException {
            if (!atom().equalsIgnoreCase("NIL")) throw new ParseException("Expected NIL");
        }

        /** A flag: \System, \*, or a keyword atom. */
        String flag() throws ParseException {
            if (peek() == '\\') {
                pos++;
                if (peek() == '*') {
                    pos++;
                    return "\\*";
                }
                return "\\" + atom();
            }
            return atom();
        }

        long number(boolean allowZero) throws ParseException {
            String digits = atomLike(ch -> ch >= '0' && ch <= '9');
            if (digits.length() > 10) throw new ParseException("Number out of range");
            long v = Long.parseLong(digits);
            if (v > 0xFFFF_FFFFL || (!allowZero && v == 0)) throw new ParseException("Number out of range");
            return v;
        }

        long number64() throws ParseException {
            String digits = atomLike(ch -> ch >= '0' && ch <= '9');
            if (digits.length() > 19) throw new ParseException("Number out of range");
            long v = Long.parseLong(digits);
            if (v < 0) throw new ParseException("Number out of range");
            return v;
        }

        /** SEARCH/SORT CHARSET (RFC 9051 §6.4.4): later strings are in it; unknown ones fail in the session (BADCHARSET). */
        void useCharset(String name) {
            try {
                if (java.nio.charset.Charset.isSupported(name)) charset = java.nio.charset.Charset.forName(name);
            } catch (RuntimeException illegalName) {
                // stays UTF-8; the session refuses the charset
            }
        }

        private String decodeString(byte[] bytes) throws ParseException {
            if (charset != StandardCharsets.UTF_8) return new String(bytes, charset);
            try {
                return utf8(bytes);
            } catch (ParseException e) {
                // Search strings without CHARSET should be ASCII; clients (Jakarta Mail) send Latin-1 anyway
                if (searchStrings) return new String(bytes, StandardCharsets.ISO_8859_1);
                throw e;
            }
        }

        private static String utf8(byte[] bytes) throws ParseException {
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new ParseException("Invalid UTF-8 in string");
            }
        }
    }
}
