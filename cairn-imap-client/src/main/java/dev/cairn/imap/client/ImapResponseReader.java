// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.client;

import dev.cairn.imap.client.ImapResponse.Code;
import dev.cairn.imap.client.ImapResponse.Status;
import dev.cairn.imap.client.ImapResponse.Value;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A strict, bounded reader of IMAP server responses (RFC 9051 section 9 grammar, the parts a
 * client sees). It reads straight from a blocking stream, so a response may arrive in any
 * number of pieces. Anything outside the grammar, a bare LF, an over-long line, a literal
 * beyond the limit, or lists nested too deep is an {@link ImapProtocolException}: the bench
 * counts it as a server error, `cairn replica verify` stops, neither guesses. The bytes and
 * their bounds are {@link ResponseInput}'s job; this class is the grammar.
 */
public final class ImapResponseReader {

    /** Bounds on what one response may hold. Lengths on the wire are checked against these before use. */
    public record Limits(int maxLineLength, int maxLiteralSize, int maxDepth, int maxItems) {
        public static final Limits DEFAULT = new Limits(1 << 20, 64 << 20, 32, 1 << 20);
    }

    /**
     * What becomes of a message body in a FETCH ({@code BODY[]}, {@code RFC822}, {@code BINARY[]}):
     * held (the bench compares it with what it appended; bounded by {@link Limits#maxLiteralSize}),
     * or hashed with SHA-256 as it arrives and never held (`replica verify` compares hashes, and a
     * message may be larger than any limit a reader would hold).
     */
    public enum Bodies { HELD, SHA256 }

    private static final int EOF = ResponseInput.EOF;

    private final ResponseInput input;
    private final Limits limits;
    private final Bodies bodies;
    private int items;

    public ImapResponseReader(InputStream in) {
        this(in, Limits.DEFAULT, Bodies.HELD);
    }

    public ImapResponseReader(InputStream in, Limits limits) {
        this(in, limits, Bodies.HELD);
    }

    public ImapResponseReader(InputStream in, Limits limits, Bodies bodies) {
        this.input = new ResponseInput(in, limits.maxLineLength());
        this.limits = limits;
        this.bodies = bodies;
    }

    /** Bytes consumed so far (for throughput accounting). */
    public long bytesRead() {
        return input.bytesRead();
    }

    /** The next response, or null when the stream ends cleanly between responses. */
    public ImapResponse read() throws IOException {
        input.startResponse();
        items = 0;
        if (input.peek() == EOF) {
            return null;
        }
        int first = input.next();
        if (first == '*') {
            input.space();
            return untagged();
        }
        if (first == '+') {
            String text = "";
            if (input.peek() == ' ') {
                input.next();
                text = input.text();
            }
            input.crlf();
            return new ImapResponse.Continuation(text);
        }
        input.unread();
        String tag = tag();
        input.space();
        Status status = status(input.atom(false));
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
        if (input.peek() == ' ') {
            input.next();
            if (input.peek() == '[') {
                input.next();
                code = code();
                if (input.peek() == ' ') {
                    input.next();
                }
            }
            text = input.text();
        }
        input.crlf();
        return make.make(code, text);
    }

    private Code code() throws IOException {
        String name = input.atom(true).toUpperCase(Locale.ROOT);
        List<Value> args = new ArrayList<>();
        while (input.peek() == ' ') {
            input.next();
            args.add(value(0, true));
        }
        input.expect(']');
        return new Code(name, List.copyOf(args));
    }

    private ImapResponse untagged() throws IOException {
        if (ResponseInput.isDigit(input.peek())) {
            long number = input.number();
            input.space();
            String keyword = input.atom(false).toUpperCase(Locale.ROOT);
            switch (keyword) {
                case "EXISTS" -> {
                    input.crlf();
                    return new ImapResponse.Exists(number);
                }
                case "EXPUNGE" -> {
                    if (number == 0) {
                        throw error("EXPUNGE of sequence number 0");
                    }
                    input.crlf();
                    return new ImapResponse.Expunge(number);
                }
                case "FETCH" -> {
                    if (number == 0) {
                        throw error("FETCH of sequence number 0");
                    }
                    input.space();
                    ImapResponse fetch = fetch(number);
                    input.crlf();
                    return fetch;
                }
                default -> {
                    List<Value> values = restOfLine();
                    return new ImapResponse.Data(number, keyword, values);
                }
            }
        }
        String keyword = input.atom(false).toUpperCase(Locale.ROOT);
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
        while (input.peek() != '\r') {
            separator(values);
            values.add(value(0, false));
        }
        input.crlf();
        return values;
    }

    /**
     * The SP before the next value, except between two lists: RFC 5256 section 5 writes THREAD
     * results as lists side by side ("(1)(2 3)", thread-nested = 2*thread-list).
     */
    private void separator(List<Value> before) throws IOException {
        if (!before.isEmpty() && before.getLast() instanceof Value.Parens && input.peek() == '(') {
            return;
        }
        input.space();
    }

    /** msg-att list: {@code (NAME value NAME value ...)}. */
    private ImapResponse fetch(long sequence) throws IOException {
        input.expect('(');
        Long uid = null;
        Long size = null;
        List<String> flags = null;
        byte[] body = null;
        String bodySha256 = null;
        Map<String, Value> other = Map.of();
        boolean first = true;
        while (input.peek() != ')') {
            if (!first) {
                input.space();
            }
            first = false;
            String name = fetchAttributeName();
            input.space();
            String upper = name.toUpperCase(Locale.ROOT);
            switch (upper) {
                case "UID" -> uid = input.number();
                case "RFC822.SIZE" -> size = input.number();
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
                    if (bodies == Bodies.SHA256) {
                        bodySha256 = hashedBody(name);
                        break;
                    }
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
        input.expect(')');
        return new ImapResponse.Fetch(sequence, uid, flags == null ? null : List.copyOf(flags), size, body, bodySha256, other);
    }

    /** A body as the hex SHA-256 of its bytes: a literal is hashed as it streams in, whatever its length. */
    private String hashedBody(String name) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        switch (input.peek()) {
            case '{' -> input.literal(literalLength(), sha);
            case '"' -> sha.update(quoted());
            default -> {
                if (!(value(1, false) instanceof Value.Nil)) {
                    throw error(name + " is not a string");
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** A fetch attribute name: an atom that may carry a {@code [section]} and a {@code <origin>}. */
    private String fetchAttributeName() throws IOException {
        StringBuilder name = new StringBuilder(input.atom(false));
        if (input.peek() == '[') {
            input.next();
            name.append('[');
            int c;
            while ((c = input.next()) != ']') {
                if (c == '\r' || c == '\n') {
                    throw error("unterminated section in fetch attribute");
                }
                name.append((char) c);
            }
            name.append(']');
            if (input.peek() == '<') {
                input.next();
                name.append('<').append(input.number());
                input.expect('>');
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
        int c = input.peek();
        switch (c) {
            case '(' -> {
                input.next();
                List<Value> list = new ArrayList<>();
                while (input.peek() != ')') {
                    if (!list.isEmpty()) {
                        separator(list);
                    }
                    list.add(value(depth + 1, inCode));
                }
                input.next();
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
                String atom = input.atom(inCode);
                return atom.equalsIgnoreCase("NIL") ? new Value.Nil() : new Value.Atom(atom);
            }
        }
    }

    private byte[] quoted() throws IOException {
        input.expect('"');
        return input.quotedRest();
    }

    /** {@code {n}CRLF}: n, checked against the limit of held literals by the caller. */
    private long literalLength() throws IOException {
        input.expect('{');
        if (!ResponseInput.isDigit(input.peek())) {
            throw error("literal without a length");
        }
        long length = input.number();
        input.expect('}');
        input.crlf();
        return length;
    }

    /** A literal that is held: its length is checked against the limit before anything is allocated. */
    private byte[] literal() throws IOException {
        long length = literalLength();
        if (length > limits.maxLiteralSize()) {
            throw error("literal of " + length + " bytes exceeds the limit of " + limits.maxLiteralSize());
        }
        return input.literal((int) length);
    }

    private String tag() throws IOException {
        StringBuilder tag = new StringBuilder();
        int c;
        while ((c = input.peek()) != EOF && c > ' ' && c < 0x7f && c != '+' && "(){%*\"\\]".indexOf(c) < 0) {
            tag.append((char) input.next());
        }
        if (tag.isEmpty()) {
            throw error("expected a tag, '*' or '+'");
        }
        return tag.toString();
    }

    private static Status status(String word) throws ImapProtocolException {
        try {
            return Status.valueOf(word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ImapProtocolException("unknown status " + word);
        }
    }

    private static ImapProtocolException error(String message) {
        return ResponseInput.error(message);
    }
}
