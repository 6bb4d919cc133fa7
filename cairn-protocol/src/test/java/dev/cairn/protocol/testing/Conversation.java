// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A scripted line-protocol client for conversation tests (LMTP, POP3): {@code c(...)} sends a
 * line, {@code s(...)} expects the next server line.
 */
public final class Conversation implements Closeable {
    public Socket socket;
    public InputStream in;
    public OutputStream out;

    public Conversation(InetSocketAddress address) throws IOException {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Over a socket the test connected itself (e.g. from a chosen source address). */
    public Conversation(Socket connected) throws IOException {
        use(connected);
    }

    public void use(Socket s) throws IOException {
        socket = s;
        in = s.getInputStream();
        out = s.getOutputStream();
    }

    /** Sends one line with CRLF. */
    public Conversation c(String line) throws IOException { return raw(line + "\r\n"); }

    /** Sends exactly these characters (ISO-8859-1) in one write. */
    public Conversation raw(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    public Conversation raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Expects this exact line; "…" at the end of {@code expected} means "starts with". */
    public Conversation s(String expected) throws IOException {
        String line = readLine();
        if (expected.endsWith("…")) assertThat(line).startsWith(expected.substring(0, expected.length() - 1));
        else assertThat(line).isEqualTo(expected);
        return this;
    }

    /** The next line without its CRLF, or null at end of stream. */
    public String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            line.write(b);
        }
        String s = line.toString(StandardCharsets.UTF_8);
        assertThat(s).as("server lines end with CRLF").endsWith("\r");
        return s.substring(0, s.length() - 1);
    }

    public void expectClosed() throws IOException { assertThat(readLine()).isNull(); }

    @Override public void close() throws IOException { socket.close(); }
}
