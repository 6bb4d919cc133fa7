// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.client;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * One blocking IMAP client connection: writes tagged commands, collects every response up to
 * the tagged one. It checks only syntax (through {@link ImapResponseReader}) and that the tagged
 * response answers the command sent; what the responses mean is the caller's to check (the
 * bench's model of the mailbox, `replica verify`'s comparison).
 */
public final class ImapClient implements Closeable {

    /** The untagged responses of one command, in order, and its tagged completion. */
    public record Result(List<ImapResponse> untagged, ImapResponse.Tagged tagged) {
        public boolean ok() {
            return tagged.status() == ImapResponse.Status.OK;
        }
    }

    /**
     * How the connection reads: its tags are {@code tagPrefix} and a counter, the reader's bounds,
     * and whether message bodies are held or hashed.
     */
    public record Options(String tagPrefix, ImapResponseReader.Limits limits, ImapResponseReader.Bodies bodies) {
        public static final Options DEFAULT = new Options("b", ImapResponseReader.Limits.DEFAULT, ImapResponseReader.Bodies.HELD);
    }

    /** Turns the connected plain socket into a TLS one, handshake done (after STARTTLS's OK). */
    @FunctionalInterface
    public interface TlsWrapper {
        Socket wrap(Socket plain) throws IOException;
    }

    private static final int OUTPUT_BUFFER = 64 * 1024;

    private final Options options;
    // Replaced by STARTTLS and COMPRESS; the socket is null over bare streams (tests).
    private Socket socket;
    private InputStream socketIn;
    private OutputStream socketOut;
    private ImapResponseReader reader;
    private OutputStream out;
    private ImapResponse.Condition greeting;
    private final Set<String> capabilities = new HashSet<>();
    private long bytesWritten;
    private int nextTag = 1;
    /** The last untagged BYE's text, to say why the server closed the connection. */
    private String bye;

    private ImapClient(Socket socket, InputStream in, OutputStream out, Options options) {
        this.options = options;
        this.socket = socket;
        use(in, out);
    }

    private void use(InputStream in, OutputStream out) {
        socketIn = in;
        socketOut = out;
        reader = new ImapResponseReader(in, options.limits(), options.bodies());
        this.out = new BufferedOutputStream(out, OUTPUT_BUFFER);
    }

    /** Over a connected socket (TLS already, for implicit TLS): reads the greeting, which must be OK or PREAUTH. */
    public static ImapClient open(Socket connected, Options options) throws IOException {
        try {
            ImapClient client = new ImapClient(connected, connected.getInputStream(), connected.getOutputStream(), options);
            client.readGreeting();
            return client;
        } catch (IOException | RuntimeException e) {
            connected.close();
            throw e;
        }
    }

    /** Over bare streams, the greeting already read (tests feed it a server's bytes). */
    public static ImapClient overStreams(InputStream in, OutputStream out, Options options) {
        return new ImapClient(null, in, out, options);
    }

    private void readGreeting() throws IOException {
        ImapResponse response = reader.read();
        if (!(response instanceof ImapResponse.Condition condition)
                || (condition.status() != ImapResponse.Status.OK && condition.status() != ImapResponse.Status.PREAUTH)) {
            throw new ImapProtocolException("bad greeting: " + response);
        }
        greeting = condition;
        noteCapabilities(condition.code());
    }

    /** The greeting (null over bare streams). */
    public ImapResponse.Condition greeting() {
        return greeting;
    }

    /**
     * STARTTLS, then TLS over the same socket. RFC 9051 section 6.2.1: the negotiation starts
     * right after the tagged OK, and whatever the server said before no longer counts
     * (capabilities must be asked again).
     */
    public void startTls(TlsWrapper wrapper) throws IOException {
        if (socket == null) {
            throw new IllegalStateException("no socket to start TLS on");
        }
        Result result = execute("STARTTLS");
        if (!result.ok()) {
            throw new ImapProtocolException("STARTTLS refused: " + result.tagged().text());
        }
        Socket tls = wrapper.wrap(socket);
        socket = tls;
        use(tls.getInputStream(), tls.getOutputStream());
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
        use(new InflaterInputStream(socketIn, new Inflater(true), OUTPUT_BUFFER),
            new DeflaterOutputStream(socketOut, new Deflater(Deflater.DEFAULT_COMPRESSION, true), OUTPUT_BUFFER, true));
    }

    /** Capabilities last announced (greeting, a tagged OK's code, or CAPABILITY), upper case. */
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

    /** LOGIN with both arguments as quoted strings (RFC 9051 section 6.2.3). */
    public Result login(String user, String password) throws IOException {
        return execute("LOGIN " + quote(user) + " " + quote(password));
    }

    /**
     * SASL PLAIN with an authorization identity (RFC 4616), as the initial response (RFC 4959).
     * The caller tells OK from NO [NONEXISTENT] from a refusal.
     */
    public Result authenticatePlain(String authzid, String authcid, String password) throws IOException {
        String response = Base64.getEncoder().encodeToString((authzid + "\0" + authcid + "\0" + password)
            .getBytes(StandardCharsets.UTF_8));
        return execute("AUTHENTICATE PLAIN " + response);
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
                    return new Result(untagged, answering(tag, tagged));
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
                    noteCapabilities(answering(tag, tagged).code());
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
                case ImapResponse.Condition c when c.status() == ImapResponse.Status.BYE -> {
                    bye = c.text();
                    untagged.add(response);
                }
                default -> untagged.add(response);
            }
        }
    }

    private static ImapResponse.Tagged answering(String tag, ImapResponse.Tagged tagged) throws ImapProtocolException {
        if (!tagged.tag().equals(tag)) {
            throw new ImapProtocolException("tagged response for unknown tag " + tagged.tag());
        }
        return tagged;
    }

    private ImapResponse readOne() throws IOException {
        ImapResponse response = reader.read();
        if (response == null) {
            throw new EOFException(bye == null ? "server closed the connection" : "server closed the connection after BYE " + bye);
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
        return options.tagPrefix() + nextTag++;
    }

    /** Sends LOGOUT without waiting for its answer, then closes: for a client that is done either way. */
    public void logoutAndClose() {
        try {
            write((tag() + " LOGOUT\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException ignored) {
            // closing anyway
        }
        close();
    }

    @Override
    public void close() {
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    /** An IMAP quoted string (RFC 9051 section 4.3) for user names, passwords and mailbox names. */
    public static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
