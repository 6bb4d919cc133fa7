// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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
        ImapCommand command = new Parser(c, new Arguments(c, options)).command(name);
        if (!c.atEnd()) throw new ParseException("Unexpected characters at end of " + name);
        return new Tagged(tag, command);
    }

    /** The command switch; each family's arguments are read by a parser of its own. */
    private record Parser(Cursor c, Arguments a) {
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
                case "SELECT", "EXAMINE" -> new MailboxParser(c, a).select(name);
                case "CREATE" -> {
                    c.sp();
                    String mailbox = a.mailbox();
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
                case "DELETE" -> { c.sp(); yield new ImapCommand.Delete(a.mailbox()); }
                case "RENAME" -> {
                    c.sp();
                    String from = a.mailbox();
                    c.sp();
                    yield new ImapCommand.Rename(from, a.mailbox());
                }
                case "SUBSCRIBE" -> { c.sp(); yield new ImapCommand.Subscribe(a.mailbox()); }
                case "UNSUBSCRIBE" -> { c.sp(); yield new ImapCommand.Unsubscribe(a.mailbox()); }
                case "LIST" -> new MailboxParser(c, a).list();
                case "LSUB" -> {
                    c.sp();
                    String ref = a.listReference();
                    c.sp();
                    yield new ImapCommand.Lsub(ref, a.listMailbox());
                }
                case "NAMESPACE" -> new ImapCommand.Namespace();
                case "STATUS" -> {
                    c.sp();
                    String mailbox = a.mailbox();
                    c.sp();
                    yield new ImapCommand.Status(mailbox, a.atomList());
                }
                case "APPEND" -> new MailboxParser(c, a).append();
                case "IDLE" -> new ImapCommand.Idle();
                case "CHECK" -> new ImapCommand.Check();
                case "CLOSE" -> new ImapCommand.Close();
                case "UNSELECT" -> new ImapCommand.Unselect();
                case "EXPUNGE" -> new ImapCommand.Expunge(null);
                case "SEARCH" -> new SearchParser(c, a).search(false);
                case "FETCH" -> new FetchParser(c, a).fetch(false);
                case "STORE" -> store(false);
                case "COPY" -> { c.sp(); SequenceSet s = a.set(); c.sp(); yield new ImapCommand.Copy(false, s, a.mailbox()); }
                case "MOVE" -> { c.sp(); SequenceSet s = a.set(); c.sp(); yield new ImapCommand.Move(false, s, a.mailbox()); }
                case "UID" -> {
                    c.sp();
                    String sub = c.atom().toUpperCase(Locale.ROOT);
                    yield switch (sub) {
                        case "FETCH" -> new FetchParser(c, a).fetch(true);
                        case "STORE" -> store(true);
                        case "SEARCH" -> new SearchParser(c, a).search(true);
                        case "COPY" -> { c.sp(); SequenceSet s = a.set(); c.sp(); yield new ImapCommand.Copy(true, s, a.mailbox()); }
                        case "MOVE" -> { c.sp(); SequenceSet s = a.set(); c.sp(); yield new ImapCommand.Move(true, s, a.mailbox()); }
                        case "EXPUNGE" -> { c.sp(); yield new ImapCommand.Expunge(a.set()); }
                        case "SORT" -> new SearchParser(c, a).sort(true);
                        case "THREAD" -> new SearchParser(c, a).thread(true);
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
                case "GETQUOTAROOT" -> { c.sp(); yield new ImapCommand.GetQuotaRoot(a.mailbox()); }
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
                case "GETACL" -> { c.sp(); yield new ImapCommand.GetAcl(a.mailbox()); }
                case "MYRIGHTS" -> { c.sp(); yield new ImapCommand.MyRights(a.mailbox()); }
                case "SETACL" -> {
                    c.sp();
                    String m = a.mailbox();
                    c.sp();
                    String id = c.astring();
                    c.sp();
                    yield new ImapCommand.SetAcl(m, id, c.astring());
                }
                case "DELETEACL" -> { c.sp(); String m = a.mailbox(); c.sp(); yield new ImapCommand.DeleteAcl(m, c.astring()); }
                case "LISTRIGHTS" -> { c.sp(); String m = a.mailbox(); c.sp(); yield new ImapCommand.ListRights(m, c.astring()); }
                case "SORT" -> new SearchParser(c, a).sort(false);
                case "THREAD" -> new SearchParser(c, a).thread(false);
                default -> throw new ParseException("Unknown command " + name);
            };
        }














        private ImapCommand store(boolean uid) throws ParseException {
            c.sp();
            SequenceSet set = a.set();
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
            if (c.peek() == '(') flags = a.flagList();
            else {
                flags = new ArrayList<>();
                do flags.add(c.flag()); while (c.optionalSp());
            }
            return new ImapCommand.Store(uid, set, unchangedSince, op, silent, flags);
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

    /**
     * date-time of RFC 9051 §9: "dd-Mon-yyyy hh:mm:ss +zzzz", day possibly space-padded, in the zone
     * it states (kept: FETCH INTERNALDATE shows it, SEARCH ON takes the calendar date in it).
     */
    static OffsetDateTime dateTime(String s) throws ParseException {
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
            return OffsetDateTime.of(year, month, day, hour, minute, second, 0, zone);
        } catch (RuntimeException e) {
            throw new ParseException("Invalid date-time " + abbreviate(s));
        }
    }

    static String abbreviate(String s) { return s.length() > 40 ? s.substring(0, 40) + "..." : s; }
}
