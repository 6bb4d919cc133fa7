// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import dev.cairn.bench.imap.ImapResponse.Code;
import dev.cairn.bench.imap.ImapResponse.Status;
import dev.cairn.bench.imap.ImapResponse.Value;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A strict, bounded reader of IMAP server responses (RFC 9051 section 9 grammar, the parts a
 * client sees). It reads straight from a blocking stream, so a response may arrive in any
 * number of pieces. Anything outside the grammar, a bare LF, an over-long line, a literal
 * beyond the limit, or lists nested too deep is an {@link ImapProtocolException}: the bench
 * counts it as a server error instead of guessing.
 */
public final class ImapResponseReader {

    /** Bounds on what one response may hold. Lengths on the wire are checked against these before use. */
    public record Limits(int maxLineLength, int maxLiteralSize, int maxDepth, int maxItems) {
        public static final Limits DEFAULT = new Limits(1 << 20, 64 << 20, 32, 1 << 20);
    }

    private static final int EOF = -1;

    private final InputStream in;
    private final Limits limits;
    private final byte[] buffer = new byte[16 * 1024];
    private int position;
    private int end;
    private int lineBytes;
    private int items;
    private long bytesRead;

    public ImapResponseReader(InputStream in) {
        this(in, Limits.DEFAULT);
    }

    public ImapResponseReader(InputStream in, Limits limits) {
        this.in = in;
        this.limits = limits;
    }

    /** Bytes consumed so far (for throughput accounting). */
    public long bytesRead() {
        return bytesRead;
    }

    /** The next response, or null when the stream ends cleanly between responses. */
    public ImapResponse read() throws IOException {
        lineBytes = 0;
        items = 0;
        if (peek() == EOF) {
            return null;
        }
        int first = next();
        if (first == '*') {
            space();
            return untagged();
        }
        if (first == '+') {
            String text = "";
            if (peek() == ' ') {
                next();
                text = text();
            }
            crlf();
            return new ImapResponse.Continuation(text);
        }
        position--;
        lineBytes--;
        String tag = tag();
        space();
        Status status = status(atom(false));
        if (status != Status.OK && status != Status.NO && status != Status.BAD) {
            throw error("tagged response with status " + status);
        }
        return respText((code, text) -> new ImapResponse.Tagged(tag, status, code, text));
    }

    private interface TextResponse {
        ImapResponse make(Code code, String text);
    }

    /** resp-text after the status word: {@code [SP ["[" code "]" SP] text]} CRLF. */
    private ImapResponse respText(TextResponse make) throws IOException {
        Code code = null;
        String text = "";
        if (peek() == ' ') {
            next();
            if (peek() == '[') {
                next();
                code = code();
                if (peek() == ' ') {
                    next();
                }
            }
            text = text();
        }
        crlf();
        return make.make(code, text);
    }

    private Code code() throws IOException {
        String name = atom(true).toUpperCase(Locale.ROOT);
        List<Value> args = new ArrayList<>();
        while (peek() == ' ') {
            next();
            args.add(value(0, true));
        }
        expect(']');
        return new Code(name, List.copyOf(args));
    }

    private ImapResponse untagged() throws IOException {
        if (isDigit(peek())) {
            long number = number();
            space();
            String keyword = atom(false).toUpperCase(Locale.ROOT);
            switch (keyword) {
                case "EXISTS" -> {
                    crlf();
                    return new ImapResponse.Exists(number);
                }
                case "EXPUNGE" -> {
                    if (number == 0) {
                        throw error("EXPUNGE of sequence number 0");
                    }
                    crlf();
                    return new ImapResponse.Expunge(number);
                }
                case "FETCH" -> {
                    if (number == 0) {
                        throw error("FETCH of sequence number 0");
                    }
                    space();
                    ImapResponse fetch = fetch(number);
                    crlf();
                    return fetch;
                }
                default -> {
                    List<Value> values = restOfLine();
                    return new ImapResponse.Data(number, keyword, values);
                }
            }
        }
        String keyword = atom(false).toUpperCase(Locale.ROOT);
        return switch (keyword) {
            case "OK", "NO", "BAD", "BYE", "PREAUTH" -> {
                Status status = status(keyword);
                yield respText((code, text) -> new ImapResponse.Condition(status, code, text));
            }
            default -> new ImapResponse.Data(null, keyword, restOfLine());
        };
    }

    private List<Value> restOfLine() throws IOException {
        List<Value> values = new ArrayList<>();
        while (peek() != '\r') {
            separator(values);
            values.add(value(0, false));
        }
        crlf();
        return values;
    }

    /**
     * The SP before the next value, except between two lists: RFC 5256 section 5 writes THREAD
     * results as lists side by side ("(1)(2 3)", thread-nested = 2*thread-list).
     */
    private void separator(List<Value> before) throws IOException {
        if (!before.isEmpty() && before.getLast() instanceof Value.Parens && peek() == '(') {
            return;
        }
        space();
    }

    /** msg-att list: {@code (NAME value NAME value ...)}. */
    private ImapResponse fetch(long sequence) throws IOException {
        expect('(');
        Long uid = null;
        Long size = null;
        List<String> flags = null;
        byte[] body = null;
        Map<String, Value> other = Map.of();
        boolean first = true;
        while (peek() != ')') {
            if (!first) {
                space();
            }
            first = false;
            String name = fetchAttributeName();
            space();
            String upper = name.toUpperCase(Locale.ROOT);
            switch (upper) {
                case "UID" -> uid = number();
                case "RFC822.SIZE" -> size = number();
                case "FLAGS" -> {
                    flags = new ArrayList<>();
                    if (!(value(1, false) instanceof Value.Parens(List<Value> list))) {
                        throw error("FLAGS is not a list");
                    }
                    for (Value flag : list) {
                        if (!(flag instanceof Value.Atom(String text))) {
                            throw error("flag is not an atom");
                        }
                        flags.add(text);
                    }
                }
                case "BODY[]", "RFC822", "BINARY[]" -> {
                    Value value = value(1, false);
                    body = switch (value) {
                        case Value.Str(byte[] bytes) -> bytes;
                        case Value.Nil() -> new byte[0];
                        default -> throw error(name + " is not a string");
                    };
                }
                default -> {
                    if (other.isEmpty()) {
                        other = new LinkedHashMap<>();
                    }
                    other.put(upper, value(1, false));
                }
            }
            if (other.size() + 4 > limits.maxItems()) {
                throw error("too many FETCH attributes");
            }
        }
        expect(')');
        return new ImapResponse.Fetch(sequence, uid, flags == null ? null : List.copyOf(flags), size, body, other);
    }

    /** A fetch attribute name: an atom that may carry a {@code [section]} and a {@code <origin>}. */
    private String fetchAttributeName() throws IOException {
        StringBuilder name = new StringBuilder(atom(false));
        if (peek() == '[') {
            next();
            name.append('[');
            int c;
            while ((c = next()) != ']') {
                if (c == '\r' || c == '\n') {
                    throw error("unterminated section in fetch attribute");
                }
                name.append((char) c);
            }
            name.append(']');
            if (peek() == '<') {
                next();
                name.append('<').append(number());
                expect('>');
                name.append('>');
            }
        }
        return name.toString();
    }

    private Value value(int depth, boolean inCode) throws IOException {
        if (depth > limits.maxDepth()) {
            throw error("lists nested deeper than " + limits.maxDepth());
        }
        if (++items > limits.maxItems()) {
            throw error("more than " + limits.maxItems() + " values in one response");
        }
        int c = peek();
        switch (c) {
            case '(' -> {
                next();
                List<Value> list = new ArrayList<>();
                while (peek() != ')') {
                    if (!list.isEmpty()) {
                        separator(list);
                    }
                    list.add(value(depth + 1, inCode));
                }
                next();
                return new Value.Parens(List.copyOf(list));
            }
            case '"' -> {
                return new Value.Str(quoted());
            }
            case '{' -> {
                return new Value.Str(literal());
            }
            case EOF -> throw new EOFException("connection closed inside a response");
            default -> {
                String atom = atom(inCode);
                return atom.equalsIgnoreCase("NIL") ? new Value.Nil() : new Value.Atom(atom);
            }
        }
    }

    private byte[] quoted() throws IOException {
        expect('"');
        var out = new java.io.ByteArrayOutputStream();
        while (true) {
            int c = next();
            switch (c) {
                case '"' -> {
                    return out.toByteArray();
                }
                case '\\' -> {
                    int escaped = next();
                    if (escaped != '"' && escaped != '\\') {
                        throw error("bad escape in quoted string");
                    }
                    out.write(escaped);
                }
                case '\r', '\n' -> throw error("line end inside a quoted string");
                default -> out.write(c);
            }
        }
    }

    /** {@code {n}CRLF} then n bytes; n is checked against the limit before anything is allocated. */
    private byte[] literal() throws IOException {
        expect('{');
        if (!isDigit(peek())) {
            throw error("literal without a length");
        }
        long length = number();
        expect('}');
        crlf();
        if (length > limits.maxLiteralSize()) {
            throw error("literal of " + length + " bytes exceeds the limit of " + limits.maxLiteralSize());
        }
        byte[] bytes = new byte[(int) length];
        int filled = 0;
        int buffered = Math.min(end - position, bytes.length);
        System.arraycopy(buffer, position, bytes, 0, buffered);
        position += buffered;
        filled += buffered;
        while (filled < bytes.length) {
            int n = in.read(bytes, filled, bytes.length - filled);
            if (n < 0) {
                throw new EOFException("connection closed inside a literal");
            }
            bytesRead += n;
            filled += n;
        }
        return bytes;
    }

    private String tag() throws IOException {
        StringBuilder tag = new StringBuilder();
        int c;
        while ((c = peek()) != EOF && c > ' ' && c < 0x7f && c != '+' && "(){%*\"\\]".indexOf(c) < 0) {
            tag.append((char) next());
        }
        if (tag.isEmpty()) {
            throw error("expected a tag, '*' or '+'");
        }
        return tag.toString();
    }

    /**
     * An atom. Flags such as {@code \Seen} and {@code \*} and mailbox names with {@code %}
     * are read as atoms too; inside a response code {@code ]} ends it.
     */
    private String atom(boolean inCode) throws IOException {
        // Fast path: the whole atom is in the buffer (almost always).
        int end = position;
        while (end < this.end && isAtomChar(buffer[end] & 0xff, inCode)) {
            end++;
        }
        if (end < this.end && end > position) {
            int length = end - position;
            if (lineBytes + length > limits.maxLineLength()) {
                throw error("response longer than " + limits.maxLineLength() + " bytes outside literals");
            }
            String atom = new String(buffer, position, length, StandardCharsets.ISO_8859_1);
            position = end;
            lineBytes += length;
            return atom;
        }
        StringBuilder atom = new StringBuilder();
        int c;
        while ((c = peek()) != EOF && isAtomChar(c, inCode)) {
            atom.append((char) next());
        }
        if (atom.isEmpty()) {
            throw error(c == EOF ? "connection closed inside a response" : "expected an atom, got " + describe(c));
        }
        return atom.toString();
    }

    private static boolean isAtomChar(int c, boolean inCode) {
        return c > ' ' && c != 0x7f && c != '(' && c != ')' && c != '{' && c != '"' && c != '[' && !(inCode && c == ']');
    }

    private long number() throws IOException {
        long value = 0;
        int digits = 0;
        while (isDigit(peek())) {
            value = value * 10 + (next() - '0');
            if (++digits > 18) {
                throw error("number too long");
            }
        }
        if (digits == 0) {
            throw error("expected a number, got " + describe(peek()));
        }
        return value;
    }

    private String text() throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        int c;
        while ((c = peek()) != '\r') {
            if (c == EOF) {
                throw new EOFException("connection closed inside a response");
            }
            if (c == '\n') {
                throw error("bare LF in response text");
            }
            out.write(next());
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Status status(String word) throws ImapProtocolException {
        try {
            return Status.valueOf(word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ImapProtocolException("unknown status " + word);
        }
    }

    private void space() throws IOException {
        expect(' ');
    }

    private void crlf() throws IOException {
        expect('\r');
        expect('\n');
    }

    private void expect(char wanted) throws IOException {
        int c = next();
        if (c != wanted) {
            throw error("expected " + describe(wanted) + ", got " + describe(c));
        }
    }

    private int peek() throws IOException {
        if (position == end && !fill()) {
            return EOF;
        }
        return buffer[position] & 0xff;
    }

    private int next() throws IOException {
        if (position == end && !fill()) {
            throw new EOFException("connection closed inside a response");
        }
        if (++lineBytes > limits.maxLineLength()) {
            throw error("response longer than " + limits.maxLineLength() + " bytes outside literals");
        }
        return buffer[position++] & 0xff;
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
            return false;
        }
        bytesRead += n;
        position = 0;
        end = n;
        return true;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static String describe(int c) {
        return switch (c) {
            case EOF -> "end of stream";
            case '\r' -> "CR";
            case '\n' -> "LF";
            default -> c >= ' ' && c < 0x7f ? "'" + (char) c + "'" : String.format("byte 0x%02x", c);
        };
    }

    private ImapProtocolException error(String message) {
        return new ImapProtocolException(message);
    }
}
