// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Plays a conversation script of a line protocol (IMAP, POP3, LMTP) over a real socket, one
 * script line per client write or server line:
 *
 * <pre>
 * C: text     sent with CRLF after it
 * C= text     sent exactly as written, nothing added (a partial line, or a literal's octets)
 * S: text     the next server line is exactly this
 * S: text…    the next server line starts with "text"
 * S~ regex    the next server line matches the regex
 * S* regex    server lines are skipped until one matches the regex
 * S: &lt;closed&gt;  the server closes the connection (or resets it)
 * # comment   and blank lines are skipped
 * </pre>
 *
 * In client lines {@code <CRLF>} and {@code <LF>} stand for those octets, so that several
 * commands (pipelining) or a whole message go out in one write. Server lines must end with CRLF.
 * A failure shows the transcript of the conversation so far.
 */
public class Conversation implements AutoCloseable {
    /** How long a read waits for the server. */
    public static final int READ_TIMEOUT_MILLIS = 20_000;

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final List<String> transcript = new ArrayList<>();

    public Conversation(int port) throws IOException {
        this(new InetSocketAddress("127.0.0.1", port));
    }

    public Conversation(InetSocketAddress address) throws IOException {
        this(new Socket(address.getAddress(), address.getPort()));
    }

    /** Over a socket the test connected itself (e.g. from a chosen source address). */
    public Conversation(Socket connected) throws IOException {
        use(connected);
    }

    /** Over the streams of another kind of connection (e.g. a Unix domain socket); {@link #socket()} is then null. */
    public Conversation(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    /** Goes on over {@code s}, e.g. the TLS socket layered over this one after STARTTLS. */
    public final void use(Socket s) throws IOException {
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket = s;
        in = s.getInputStream();
        out = s.getOutputStream();
    }

    public final Socket socket() { return socket; }

    /** Plays {@code script} (the format is in the class comment). */
    public final Conversation run(String script) throws IOException {
        for (String line : script.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            if (line.length() == 2) line = line + " ";
            String body = line.length() > 3 ? line.substring(3) : "";
            switch (line.substring(0, 3)) {
                case "C: " -> send(octets(body) + "\r\n");
                case "C= " -> send(octets(body));
                case "S: " -> expect(body);
                case "S~ " -> {
                    String got = readLine();
                    if (got == null || !got.matches(body)) fail("expected match: " + body + "\n     got: " + got + "\n" + transcriptText());
                }
                case "S* " -> {
                    while (true) {
                        String got = readLine();
                        if (got == null) fail("connection closed while waiting for: " + body + "\n" + transcriptText());
                        if (got.matches(body)) break;
                    }
                }
                default -> throw new IllegalArgumentException("bad script line: " + line);
            }
        }
        return this;
    }

    private void expect(String body) throws IOException {
        String got = readLine();
        if (body.equals("<closed>")) {
            if (got != null) fail("expected the connection to close, got: " + got + "\n" + transcriptText());
        } else if (body.endsWith("…")) {
            String prefix = body.substring(0, body.length() - 1);
            if (got == null || !got.startsWith(prefix)) fail("expected start: " + prefix + "\n     got: " + got + "\n" + transcriptText());
        } else if (!body.equals(got)) {
            fail("expected: " + body + "\n     got: " + got + "\n" + transcriptText());
        }
    }

    private static String octets(String clientLine) {
        return clientLine.replace("<CRLF>", "\r\n").replace("<LF>", "\n");
    }

    /** Sends {@code text} (UTF-8) as it is, in one write. */
    public final Conversation send(String text) throws IOException { return send(text.getBytes(StandardCharsets.UTF_8)); }

    public final Conversation send(byte[] bytes) throws IOException {
        transcript.add("C: " + new String(bytes, StandardCharsets.UTF_8).stripTrailing());
        out.write(bytes);
        out.flush();
        return this;
    }

    /** The next server line without its CRLF, or null when the server closed (or reset) the connection. */
    public final String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean ended = false;
        try {
            for (int b; (b = in.read()) >= 0; ) {
                if (b == '\n') {
                    ended = true;
                    break;
                }
                line.write(b);
            }
        } catch (SocketTimeoutException e) {
            fail("timed out waiting for a line\n" + transcriptText());
        } catch (SocketException e) {
            transcript.add("S: <reset>");
            return null;
        }
        if (!ended && line.size() == 0) {
            transcript.add("S: <closed>");
            return null;
        }
        String s = line.toString(StandardCharsets.UTF_8);
        if (ended) {
            if (!s.endsWith("\r")) fail("server lines end with CRLF, this one with LF alone: " + s + "\n" + transcriptText());
            s = s.substring(0, s.length() - 1);
        }
        transcript.add("S: " + s);
        return s;
    }

    /** What was sent and read so far, one line each, as a script would have it. */
    public final String transcriptText() { return String.join("\n", transcript); }

    @Override public void close() throws IOException {
        if (socket != null) socket.close();
        else {
            in.close();
            out.close();
        }
    }
}
