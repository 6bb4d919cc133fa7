// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import dev.cairn.imap.syntax.ImapCommand.AppendMessage;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The authenticated-state commands with arguments of their own (RFC 9051 §6.3): SELECT/EXAMINE
 * with CONDSTORE and QRESYNC (RFC 7162), LIST with LIST-EXTENDED and LIST-STATUS (RFC 5258,
 * RFC 5819), APPEND with MULTIAPPEND and UTF8 (RFC 3502, RFC 6855).
 */
record MailboxParser(Cursor c, Arguments a) {

    ImapCommand select(String name) throws ParseException {
        c.sp();
        String mailbox = a.mailbox();
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
                                known = a.set();
                                c.optionalSp();
                            }
                            if (c.peek() == '(') {
                                c.open();
                                seqs = a.set();
                                c.sp();
                                uids = a.set();
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

    ImapCommand list() throws ParseException {
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
        String ref = a.listReference();
        c.sp();
        List<String> patterns = new ArrayList<>();
        if (c.peek() == '(') {
            extended = true;
            c.open();
            do patterns.add(a.listMailbox()); while (c.optionalSp());
            c.close();
        } else {
            patterns.add(a.listMailbox());
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
                        statusItems = a.atomList();
                    }
                } while (c.optionalSp());
            }
            c.close();
        }
        return new ImapCommand.ListCommand(ref, patterns, select, ret, statusItems, extended);
    }

    ImapCommand append() throws ParseException {
        c.sp();
        String mailbox = a.mailbox();
        List<AppendMessage> messages = new ArrayList<>();
        while (c.optionalSp()) {
            List<String> flags = List.of();
            OffsetDateTime date = null;
            if (c.peek() == '(') {
                flags = a.flagList();
                c.sp();
            }
            if (c.peek() == '"') {
                date = CommandParser.dateTime(c.quoted());
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
}
