// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * FETCH: its items and macros (RFC 9051 §6.4.5), body sections and partials, BINARY (RFC 3516)
 * and the CHANGEDSINCE/VANISHED modifiers (RFC 7162).
 */
record FetchParser(Cursor c, Arguments a) {

    ImapCommand fetch(boolean uid) throws ParseException {
        c.sp();
        SequenceSet set = a.set();
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
}
