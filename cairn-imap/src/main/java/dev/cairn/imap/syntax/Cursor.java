// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/** Position in the segments of a command, with the tokens of the grammar. */
final class Cursor {
    static final int END = -1;
    static final int LITERAL = -2;
    private final List<RawCommand.Segment> segments;
    private final CommandParser.Options options;
    private int segment;
    private int pos;
    private int depth;
    private java.nio.charset.Charset charset = StandardCharsets.UTF_8;
    boolean searchStrings;

    Cursor(RawCommand raw, CommandParser.Options options) {
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
