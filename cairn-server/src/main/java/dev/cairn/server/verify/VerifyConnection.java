// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.verify;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The small IMAP client of `cairn replica verify`: one blocking connection that sends a command
 * and returns its untagged responses as token lists. The literal after {@code BODY[]} is never
 * held: it is hashed (SHA-256) as it arrives and stands in the response as a {@link BodyHash}.
 * Other literals and lines are bounded, and lengths from the wire are checked before use.
 */
final class VerifyConnection implements Closeable {
    /** Bounds on what the server may send outside message bodies. */
    static final int MAX_LINE = 1 << 20;
    static final int MAX_LITERAL = 1 << 20;
    private static final int MAX_DEPTH = 16;

    /** An atom (also numbers, NIL, flags and BODY[]) or a string: both are text here. */
    record Atom(String text) {
        @Override public String toString() { return text; }
    }

    record Str(String text) {
        @Override public String toString() { return '"' + text + '"'; }
    }

    /** The SHA-256 of a streamed body literal. */
    record BodyHash(String sha256, long size) {
        @Override public String toString() { return sha256; }
    }

    /** A status response ({@code OK|NO|BAD|BYE} with an optional [code]) that ended a command. */
    record Status(String status, String code, String text) {
        boolean ok() { return status.equals("OK"); }

        @Override public String toString() { return status + (code == null ? "" : " [" + code + "]") + " " + text; }
    }

    static final class ImapException extends IOException {
        ImapException(String message) { super(message); }
    }

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private int tag;
    private String greeting;

    private VerifyConnection(Socket socket) throws IOException {
        use(socket);
    }

    /** Over given streams, after the greeting (tests feed it a server's bytes). */
    VerifyConnection(InputStream in, OutputStream out) {
        this.in = new BufferedInputStream(in, 64 * 1024);
        this.out = out;
    }

    private void use(Socket s) throws IOException {
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        out = new BufferedOutputStream(s.getOutputStream(), 8 * 1024);
    }

    /**
     * Connects and reads the greeting. {@code implicitTls}: TLS from the first byte (imaps).
     * Otherwise STARTTLS is run when the server refuses plaintext logins (LOGINDISABLED).
     * {@code tls} is the client context (trusting the node's certificate), or null for none.
     */
    static VerifyConnection open(InetSocketAddress address, boolean implicitTls, SSLContext tls, boolean verifyHostname)
            throws IOException {
        Socket plain = new Socket();
        plain.connect(address, 10_000);
        plain.setSoTimeout(120_000);
        VerifyConnection c = null;
        try {
            c = new VerifyConnection(implicitTls ? wrap(plain, address, tls, verifyHostname) : plain);
            c.greeting = c.line();
            if (!c.greeting.startsWith("* OK")) throw new ImapException("greeting: " + c.greeting);
            if (!implicitTls && c.greeting.toUpperCase(Locale.ROOT).contains("LOGINDISABLED")) {
                if (tls == null) throw new ImapException("the server wants TLS before logins and no certificate is known");
                Status s = c.run("STARTTLS", new ArrayList<>());
                if (!s.ok()) throw new ImapException("STARTTLS: " + s);
                c.use(wrap(plain, address, tls, verifyHostname));
            }
            return c;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private static Socket wrap(Socket plain, InetSocketAddress address, SSLContext tls, boolean verifyHostname) throws IOException {
        if (tls == null) throw new ImapException("TLS needed but no certificate is known");
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, address.getHostString(), address.getPort(), true);
        if (verifyHostname) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
        }
        s.startHandshake();
        return s;
    }

    /**
     * SASL PLAIN with an authorization identity (RFC 4616), as the initial response (RFC 4959).
     * Returns the status; the caller tells OK from NO [NONEXISTENT] from a refusal.
     */
    Status authenticatePlain(String authzid, String authcid, String password) throws IOException {
        String response = Base64.getEncoder().encodeToString((authzid + "\0" + authcid + "\0" + password)
                .getBytes(StandardCharsets.UTF_8));
        return run("AUTHENTICATE PLAIN " + response, new ArrayList<>());
    }

    /** Runs a command that must succeed; its untagged responses, each as a token list. */
    List<List<Object>> command(String command) throws IOException {
        List<List<Object>> untagged = new ArrayList<>();
        Status s = run(command, untagged);
        if (!s.ok()) throw new ImapException(command.split(" ", 2)[0] + ": " + s);
        return untagged;
    }

    private Status run(String command, List<List<Object>> untagged) throws IOException {
        String t = "v" + ++tag;
        out.write((t + " " + command + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
            int first = in.read();
            if (first < 0) throw new EOFException("the server closed the connection");
            if (first == '*') {
                expect(' ');
                List<Object> tokens = new ArrayList<>();
                if (tokens(tokens, 0, true)) untagged.add(tokens);
            } else if (first == '+') {
                throw new ImapException("unexpected continuation after " + command.split(" ", 2)[0]);
            } else {
                String rest = (char) first + line();
                if (!rest.startsWith(t + " ")) throw new ImapException("unexpected response: " + rest);
                return status(rest.substring(t.length() + 1));
            }
        }
    }

    private static Status status(String s) {
        int sp = s.indexOf(' ');
        String status = (sp < 0 ? s : s.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : s.substring(sp + 1);
        String code = null;
        if (rest.startsWith("[") && rest.indexOf(']') > 0) {
            code = rest.substring(1, rest.indexOf(']'));
            rest = rest.substring(rest.indexOf(']') + 1).strip();
        }
        return new Status(status, code, rest);
    }

    /**
     * Reads tokens up to the end of the line (top level) or the closing parenthesis. A status
     * response (* OK ...) is skipped whole: false. BYE ends the session: an exception.
     */
    private boolean tokens(List<Object> into, int depth, boolean top) throws IOException {
        if (depth > MAX_DEPTH) throw new ImapException("response nested too deeply");
        int count = 0;
        while (true) {
            int c = in.read();
            switch (c) {
                case -1 -> throw new EOFException("the server closed the connection");
                case ' ' -> { }
                case '\r' -> {
                    expect('\n');
                    if (!top) throw new ImapException("line ended inside parentheses");
                    return true;
                }
                case ')' -> {
                    if (top) throw new ImapException("unbalanced ')'");
                    return true;
                }
                case '(' -> {
                    List<Object> inner = new ArrayList<>();
                    tokens(inner, depth + 1, false);
                    into.add(inner);
                }
                case '"' -> into.add(new Str(quoted()));
                case '{' -> {
                    long size = literalSize();
                    boolean body = !into.isEmpty() && into.getLast() instanceof Atom a && a.text().equalsIgnoreCase("BODY[]");
                    into.add(body ? hash(size) : new Str(literal(size)));
                }
                default -> {
                    Atom a = atom(c);
                    into.add(a);
                    if (top && count == 0 && List.of("OK", "NO", "BAD", "PREAUTH", "BYE").contains(a.text().toUpperCase(Locale.ROOT))) {
                        String text = line();
                        if (a.text().equalsIgnoreCase("BYE")) throw new ImapException("the server said BYE" + text);
                        return false;
                    }
                }
            }
            count++;
        }
    }

    private Atom atom(int first) throws IOException {
        StringBuilder b = new StringBuilder().append((char) first);
        int brackets = first == '[' ? 1 : 0;
        while (true) {
            in.mark(1);
            int c = in.read();
            if (c < 0) throw new EOFException("the server closed the connection");
            if (brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == '\r' || c == '{' || c == '"')) {
                in.reset();
                return new Atom(b.toString());
            }
            if (c == '[') brackets++;
            if (c == ']') brackets--;
            if (c == '\n' || b.length() >= MAX_LINE) throw new ImapException("bad atom: " + b);
            b.append((char) c);
        }
    }

    private String quoted() throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) throw new EOFException("the server closed the connection");
            if (c == '"') return b.toString(StandardCharsets.UTF_8);
            if (c == '\\') c = in.read();
            if (c == '\r' || c == '\n' || c < 0 || b.size() >= MAX_LINE) throw new ImapException("bad quoted string");
            b.write(c);
        }
    }

    private long literalSize() throws IOException {
        long n = 0;
        int digits = 0;
        int c;
        while ((c = in.read()) >= '0' && c <= '9') {
            if (++digits > 18) throw new ImapException("literal size too long");
            n = n * 10 + (c - '0');
        }
        if (c != '}' || digits == 0) throw new ImapException("bad literal size");
        expect('\r');
        expect('\n');
        return n;
    }

    private String literal(long size) throws IOException {
        if (size > MAX_LITERAL) throw new ImapException("literal of " + size + " octets outside a body");
        return new String(in.readNBytes((int) size), StandardCharsets.UTF_8);
    }

    /** Hashes the body as it streams in, 64 KiB at a time: a message is never held whole. */
    private BodyHash hash(long size) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) throw new EOFException("the server closed the connection inside a body");
            sha.update(buffer, 0, n);
            left -= n;
        }
        return new BodyHash(HexFormat.of().formatHex(sha.digest()), size);
    }

    private String line() throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) throw new EOFException("the server closed the connection");
            if (b.size() >= MAX_LINE) throw new ImapException("response line too long");
            b.write(c);
        }
        String s = b.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private void expect(int wanted) throws IOException {
        int c = in.read();
        if (c != wanted) throw new ImapException("expected '" + (char) wanted + "', got " + (c < 0 ? "end of stream" : "'" + (char) c + "'"));
    }

    /** A mailbox name as an IMAP quoted string. */
    static String quote(String name) {
        return '"' + name.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    @Override public void close() {
        try {
            out.write(("v" + ++tag + " LOGOUT\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            if (socket != null) socket.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }
}
