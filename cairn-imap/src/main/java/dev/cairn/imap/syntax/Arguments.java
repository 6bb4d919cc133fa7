// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The arguments that many commands share (RFC 9051 §9): sequence sets, mailbox names (modified
 * UTF-7 or, after UTF8=ACCEPT, UTF-8, RFC 6855), LIST patterns, flag and atom lists, dates.
 */
record Arguments(Cursor c, CommandParser.Options options) {

    SequenceSet set() throws ParseException {
        String text = c.atomLike(ch -> (ch >= '0' && ch <= '9') || ch == ':' || ch == ',' || ch == '*' || ch == '$');
        SequenceSet s = SequenceSet.parse(text, options.maxRanges());
        if (s == null) {
            if (text.split(",", -1).length > options.maxRanges()) throw new ParseException("LIMIT", "Sequence set has too many ranges");
            throw new ParseException("Invalid sequence set " + CommandParser.abbreviate(text));
        }
        return s;
    }

    String mailbox() throws ParseException { return decodeName(c.astring()); }

    /**
     * A LIST or LSUB reference or pattern. One that no mailbox name can have (not valid modified
     * UTF-7, a control character) is not an error: it matches nothing, so LIST answers OK with no
     * names (RFC 9051 §6.3.9).
     */
    String listMailbox() throws ParseException {
        int p = c.peek();
        String raw = (p == '"' || p == Cursor.LITERAL) ? c.string() : c.atomLike(ch -> Syntax.isListChar(ch) || ch >= 0x80);
        return listName(raw);
    }

    String listReference() throws ParseException { return listName(c.astring()); }

    String listName(String raw) throws ParseException {
        try {
            return decodeName(raw);
        } catch (ParseException invalid) {
            return CommandParser.MATCHES_NOTHING;
        }
    }

    /**
     * RFC 3501 §5.1.3, RFC 9051 §5.1: a name that is not valid modified UTF-7 (or holds a control
     * character) is a well-formed command naming a mailbox that cannot exist: NO [CANNOT]
     * (RFC 5530 §3 lists CANNOT among NO codes), never BAD.
     */
    String decodeName(String raw) throws ParseException {
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
        return CommandParser.normaliseInbox(name);
    }

    List<String> flagList() throws ParseException {
        c.open();
        List<String> flags = new ArrayList<>();
        if (c.peek() != ')') {
            do flags.add(c.flag()); while (c.optionalSp());
        }
        c.close();
        return flags;
    }

    List<String> atomList() throws ParseException {
        c.open();
        List<String> out = new ArrayList<>();
        if (c.peek() != ')') {
            do out.add(c.atom().toUpperCase(Locale.ROOT)); while (c.optionalSp());
        }
        c.close();
        return out;
    }

    LocalDate date() throws ParseException {
        String s = c.peek() == '"' ? c.quoted() : c.atom();
        return CommandParser.parseDate(s);
    }
}
