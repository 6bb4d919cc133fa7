// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Plays a script over a real socket: {@code C: text} is sent with CRLF, {@code S: text} must be the
 * next line exactly, {@code S~ regex} must match it, {@code S* regex} skips lines until one matches.
 * {@code S: <closed>} expects the server to close the connection.
 */
final class Conversation implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final List<String> transcript = new ArrayList<>();

    Conversation(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        String greeting = readLine();
        assertThat(greeting).startsWith("* OK [CAPABILITY ");
    }

    static void play(int port, String script) throws IOException {
        try (Conversation c = new Conversation(port)) {
            c.run(script);
        }
    }

    void run(String script) throws IOException {
        for (String line : script.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            if (line.length() == 2) line = line + " ";
            String body = line.length() > 3 ? line.substring(3).replace("<CRLF>", "\r\n") : "";
            switch (line.substring(0, 3)) {
                case "C: " -> send(body + "\r\n");
                case "S: " -> {
                    String got = readLine();
                    if (body.equals("<closed>")) {
                        if (got != null) fail("expected the connection to close, got: " + got + "\n" + transcriptText());
                    } else if (!body.equals(got)) {
                        fail("expected: " + body + "\n     got: " + got + "\n" + transcriptText());
                    }
                }
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
    }

    void send(String text) throws IOException { send(text.getBytes(StandardCharsets.UTF_8)); }

    void send(byte[] bytes) throws IOException {
        transcript.add("C: " + new String(bytes, StandardCharsets.UTF_8).stripTrailing());
        out.write(bytes);
        out.flush();
    }

    /** The next line without CRLF, or null at end of stream. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (true) {
                int b = in.read();
                if (b < 0) {
                    if (line.size() == 0) {
                        transcript.add("S: <closed>");
                        return null;
                    }
                    break;
                }
                if (b == '\n') break;
                line.write(b);
            }
        } catch (SocketTimeoutException e) {
            fail("timed out waiting for a line\n" + transcriptText());
        } catch (java.net.SocketException e) {
            transcript.add("S: <reset>");
            return null;
        }
        String s = line.toString(StandardCharsets.UTF_8);
        if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
        transcript.add("S: " + s);
        return s;
    }

    String transcriptText() { return String.join("\n", transcript); }

    @Override public void close() throws IOException { socket.close(); }
}
