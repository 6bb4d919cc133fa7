// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import dev.cairn.bench.Endpoint;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import javax.net.ssl.SSLSocket;

/**
 * One blocking IMAP client connection: sends tagged commands, collects every response up to
 * the tagged one. It checks only syntax (through {@link ImapResponseReader}); what the
 * responses mean is checked by the caller.
 */
public final class ImapConnection implements Closeable {

    /** The untagged responses of one command, in order, and its tagged completion. */
    public record Result(List<ImapResponse> untagged, ImapResponse.Tagged tagged) {
        public boolean ok() {
            return tagged.status() == ImapResponse.Status.OK;
        }
    }

    // Replaced once by STARTTLS.
    private Socket socket;
    private ImapResponseReader reader;
    private OutputStream out;
    private final Set<String> capabilities = new HashSet<>();
    private long bytesWritten;
    private int nextTag = 1;

    private ImapConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.reader = new ImapResponseReader(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /** Connects, reads the greeting (which must be OK or PREAUTH) and, if asked, runs STARTTLS. */
    public static ImapConnection open(Endpoint endpoint) throws IOException {
        ImapConnection connection = new ImapConnection(endpoint.connect());
        try {
            connection.greeting();
            if (endpoint.tls() == Endpoint.Tls.STARTTLS) {
                connection.startTls(endpoint);
            }
            return connection;
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private void greeting() throws IOException {
        ImapResponse greeting = reader.read();
        if (!(greeting instanceof ImapResponse.Condition(var status, var code, var text))
                || (status != ImapResponse.Status.OK && status != ImapResponse.Status.PREAUTH)) {
            throw new ImapProtocolException("bad greeting: " + greeting);
        }
        noteCapabilities(code);
    }

    private void startTls(Endpoint endpoint) throws IOException {
        Result result = execute("STARTTLS");
        if (!result.ok()) {
            throw new ImapProtocolException("STARTTLS refused: " + result.tagged().text());
        }
        // RFC 9051 section 6.2.1: the TLS negotiation starts right after the tagged OK, and
        // whatever the server said before no longer counts (capabilities must be asked again).
        SSLSocket tls = endpoint.wrap(socket);
        socket = tls;
        reader = new ImapResponseReader(tls.getInputStream());
        out = new BufferedOutputStream(tls.getOutputStream(), 64 * 1024);
        capabilities.clear();
    }

    /**
     * COMPRESS=DEFLATE (RFC 4978): from the server's tagged OK on, both directions are raw
     * deflate streams, each flushed at the end of what is sent.
     */
    public void compress() throws IOException {
        Result result = execute("COMPRESS DEFLATE");
        if (!result.ok()) {
            throw new ImapProtocolException("COMPRESS refused: " + result.tagged().text());
        }
        reader = new ImapResponseReader(new InflaterInputStream(socket.getInputStream(), new Inflater(true), 64 * 1024));
        out = new BufferedOutputStream(new DeflaterOutputStream(socket.getOutputStream(),
            new Deflater(Deflater.DEFAULT_COMPRESSION, true), 64 * 1024, true), 64 * 1024);
    }

    /** Capabilities last announced (greeting, LOGIN's OK, or CAPABILITY), upper case. */
    public Set<String> capabilities() {
        return capabilities;
    }

    public boolean has(String capability) {
        return capabilities.contains(capability.toUpperCase(Locale.ROOT));
    }

    public long bytesRead() {
        return reader.bytesRead();
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    /** Sends {@code tag command} and reads up to its tagged response. */
    public Result execute(String command) throws IOException {
        String tag = tag();
        write((tag + " " + command + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return collect(tag, new ArrayList<>());
    }

    /**
     * {@code APPEND mailbox (flags) {n}}: a non-synchronizing literal when the server allows
     * it (LITERAL+, or LITERAL- up to 4096 bytes, RFC 7888), else waits for the continuation.
     */
    public Result append(String mailbox, String flags, byte[] message) throws IOException {
        String tag = tag();
        boolean nonSync = has("LITERAL+") || (has("LITERAL-") && message.length <= 4096);
        String head = tag + " APPEND " + mailbox + (flags.isEmpty() ? "" : " (" + flags + ")")
            + " {" + message.length + (nonSync ? "+" : "") + "}\r\n";
        write(head.getBytes(StandardCharsets.US_ASCII));
        List<ImapResponse> untagged = new ArrayList<>();
        if (!nonSync) {
            out.flush();
            while (true) {
                ImapResponse response = readOne();
                if (response instanceof ImapResponse.Continuation) {
                    break;
                }
                if (response instanceof ImapResponse.Tagged tagged) {
                    if (!tagged.tag().equals(tag)) {
                        throw new ImapProtocolException("tagged response for unknown tag " + tagged.tag());
                    }
                    return new Result(untagged, tagged);
                }
                untagged.add(response);
            }
        }
        write(message);
        write(new byte[] {'\r', '\n'});
        out.flush();
        return collect(tag, untagged);
    }

    private Result collect(String tag, List<ImapResponse> untagged) throws IOException {
        while (true) {
            ImapResponse response = readOne();
            switch (response) {
                case ImapResponse.Tagged tagged -> {
                    if (!tagged.tag().equals(tag)) {
                        throw new ImapProtocolException("tagged response for unknown tag " + tagged.tag());
                    }
                    noteCapabilities(tagged.code());
                    return new Result(untagged, tagged);
                }
                case ImapResponse.Continuation c ->
                    throw new ImapProtocolException("unexpected continuation request: " + c.text());
                case ImapResponse.Data(var number, var keyword, var values) when keyword.equals("CAPABILITY") -> {
                    capabilities.clear();
                    for (ImapResponse.Value value : values) {
                        if (value instanceof ImapResponse.Value.Atom(String text)) {
                            capabilities.add(text.toUpperCase(Locale.ROOT));
                        }
                    }
                    untagged.add(response);
                }
                default -> untagged.add(response);
            }
        }
    }

    private ImapResponse readOne() throws IOException {
        ImapResponse response = reader.read();
        if (response == null) {
            throw new java.io.EOFException("server closed the connection");
        }
        return response;
    }

    private void noteCapabilities(ImapResponse.Code code) {
        if (code != null && code.name().equals("CAPABILITY")) {
            capabilities.clear();
            for (ImapResponse.Value value : code.args()) {
                if (value instanceof ImapResponse.Value.Atom(String text)) {
                    capabilities.add(text.toUpperCase(Locale.ROOT));
                }
            }
        }
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        bytesWritten += bytes.length;
    }

    private String tag() {
        return "b" + nextTag++;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    /** An IMAP quoted string (RFC 9051 section 4.3) for user names and passwords. */
    public static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
