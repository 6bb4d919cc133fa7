// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import dev.cairn.store.Flags;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.cairn.store.Flags;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * SEARCH (with ESEARCH RETURN options, RFC 4731, and CHARSET), SORT and THREAD (RFC 5256), and
 * the search keys they share; NOT and OR count against the nesting limit.
 */
record SearchParser(Cursor c, Arguments a) {

    ImapCommand search(boolean uid) throws ParseException {
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

    ImapCommand sort(boolean uid) throws ParseException {
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

    ImapCommand thread(boolean uid) throws ParseException {
        c.sp();
        String algorithm = c.atom().toUpperCase(Locale.ROOT);
        c.sp();
        String charset = c.astring().toUpperCase(Locale.ROOT);
        c.sp();
        return new ImapCommand.ThreadCommand(uid, algorithm, charset, searchKeys());
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
        if ((p >= '0' && p <= '9') || p == '*' || p == '$') return new SearchKey.Sequence(a.set());
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
            case "BEFORE" -> { c.sp(); yield new SearchKey.InternalDate(SearchKey.DateOp.BEFORE, a.date()); }
            case "ON" -> { c.sp(); yield new SearchKey.InternalDate(SearchKey.DateOp.ON, a.date()); }
            case "SINCE" -> { c.sp(); yield new SearchKey.InternalDate(SearchKey.DateOp.SINCE, a.date()); }
            case "SENTBEFORE" -> { c.sp(); yield new SearchKey.SentDate(SearchKey.DateOp.BEFORE, a.date()); }
            case "SENTON" -> { c.sp(); yield new SearchKey.SentDate(SearchKey.DateOp.ON, a.date()); }
            case "SENTSINCE" -> { c.sp(); yield new SearchKey.SentDate(SearchKey.DateOp.SINCE, a.date()); }
            case "SAVEDBEFORE" -> { c.sp(); yield new SearchKey.SaveDate(SearchKey.DateOp.BEFORE, a.date()); }
            case "SAVEDON" -> { c.sp(); yield new SearchKey.SaveDate(SearchKey.DateOp.ON, a.date()); }
            case "SAVEDSINCE" -> { c.sp(); yield new SearchKey.SaveDate(SearchKey.DateOp.SINCE, a.date()); }
            case "SAVEDATESUPPORTED" -> new SearchKey.SaveDateSupported();
            case "LARGER" -> { c.sp(); yield new SearchKey.Size(true, c.number64()); }
            case "SMALLER" -> { c.sp(); yield new SearchKey.Size(false, c.number64()); }
            case "UID" -> { c.sp(); yield new SearchKey.Uid(a.set()); }
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
}
