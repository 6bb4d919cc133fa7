// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.lmtp.LmtpCommand;
import dev.cairn.protocol.tls.TlsSockets;
import dev.cairn.store.BodySource;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * One forwarded transaction on its own connection to a back-end (RFC 2033, pipelined as RFC 2920
 * allows): greeting, LHLO, STARTTLS off loopback, MAIL and every RCPT in one flush, then DATA
 * with the body dot-stuffed (or one BDAT LAST for BODY=BINARYMIME, RFC 3030), and one reply per
 * accepted RCPT. Every address ends with a reply line: the back-end's own, or 451 4.3.0 when the
 * back-end fails (refused, reset, timed out, 421, malformed replies) before giving one.
 */
final class LmtpClientTransaction {
    /** RFC 5321 §4.5.3.1.5 says 512 octets per reply line; generous for long addresses and texts. */
    static final int MAX_REPLY_LINE = 4096;
    /** The LHLO reply is the longest: a line per extension. */
    static final int MAX_REPLY_LINES = 64;
    private static final byte[] CRLF = {'\r', '\n'};

    private final Backend backend;
    private final SSLContext tls;
    private final Duration connectTimeout;
    private final Duration replyTimeout;
    private final String hostname;
    private final LmtpCommand.Mail mail;
    private final List<String> addresses;
    private final BodySource body;
    private final String[] replies;

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private LmtpReplyParser parser;
    private final byte[] readBuffer = new byte[8192];

    LmtpClientTransaction(Backend backend, SSLContext tls, Duration connectTimeout, Duration replyTimeout, String hostname,
                          LmtpCommand.Mail mail, List<String> addresses, BodySource body) {
        this.backend = backend;
        this.tls = tls;
        this.connectTimeout = connectTimeout;
        this.replyTimeout = replyTimeout;
        this.hostname = hostname;
        this.mail = mail;
        this.addresses = addresses;
        this.body = body;
        this.replies = new String[addresses.size()];
    }

    /** A back-end failure that leaves every address still unanswered with a 451. */
    static final class BackendFailure extends Exception {
        BackendFailure(String message) { super(message, null, false, false); }
    }

    /** One reply line per address, in order. */
    List<String> run() {
        try {
            converse();
        } catch (BackendFailure e) {
            unanswered(e.getMessage());
        } catch (LmtpReplyParser.MalformedReplyException e) {
            unanswered("malformed reply (" + e.getMessage() + ")");
        } catch (IOException e) {
            unanswered(e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""));
        } finally {
            closeQuietly();
        }
        return List.of(replies);
    }

    /** Closes the connection: a watchdog's way to end a transaction that outlived its bound. */
    void abort() { closeQuietly(); }

    private void converse() throws IOException, BackendFailure, LmtpReplyParser.MalformedReplyException {
        InetAddress address = InetAddress.getByName(backend.host());
        boolean loopback = address.isLoopbackAddress();
        if (!loopback && tls == null) throw new BackendFailure("off loopback, and no TLS to back-ends is configured");
        socket = new Socket();
        socket.connect(new InetSocketAddress(address, backend.port()), millis(connectTimeout));
        socket.setSoTimeout(millis(connectTimeout));
        streams();
        expect(read(), 220, "greeting");
        Set<String> extensions = lhlo();
        if (!loopback) {
            if (!extensions.contains("STARTTLS")) throw new BackendFailure("off loopback and offers no STARTTLS");
            command("STARTTLS");
            expect(read(), 220, "STARTTLS");
            // RFC 3207 §4.2: nothing learned before TLS counts; the cluster's CA is the only trust.
            socket = TlsSockets.client(tls, socket, backend.host(), backend.port(), TlsSockets.HostCheck.TRUST_ONLY);
            streams();
            extensions = lhlo();
        }
        socket.setSoTimeout(millis(replyTimeout));
        boolean binary = mail.body() == LmtpCommand.Body.BINARY_MIME;
        String parameters = parameters(extensions);
        boolean pipelining = extensions.contains("PIPELINING");
        // RFC 2920 §3.1: MAIL and the RCPTs go in one group; DATA waits for their replies, so a
        // transaction whose recipients all fail never sends a body.
        write("MAIL FROM:<" + mail.reversePath() + ">" + parameters);
        if (!pipelining) out.flush();
        for (String a : addresses) {
            write("RCPT TO:<" + a + ">");
            if (!pipelining) out.flush();
        }
        out.flush();
        LmtpReplyParser.Reply mailReply = read();
        if (!mailReply.positive()) {
            for (int i = 0; i < replies.length; i++) replies[i] = relayed(mailReply, addresses.get(i));
            quit();
            return;
        }
        List<Integer> accepted = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            LmtpReplyParser.Reply r = read();
            if (r.positive()) accepted.add(i);
            else replies[i] = relayed(r, addresses.get(i));
        }
        if (accepted.isEmpty()) {
            quit();
            return;
        }
        if (binary) {
            write("BDAT " + body.size() + " LAST");
            try (InputStream content = body.open()) {
                content.transferTo(out);
            }
        } else {
            command("DATA");
            LmtpReplyParser.Reply go = read();
            if (go.code() != 354) {
                for (int i : accepted) replies[i] = relayed(go, addresses.get(i));
                quit();
                return;
            }
            try (InputStream content = body.open()) {
                writeDotStuffed(content, out);
            }
        }
        out.flush();
        // RFC 2033 §4.2: one reply per accepted RCPT, in RCPT order.
        for (int i : accepted) replies[i] = relayed(read(), addresses.get(i));
        quit();
    }

    /** RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8: sent when the back-end has them; refused (451) when needed and missing. */
    private String parameters(Set<String> extensions) throws BackendFailure {
        StringBuilder p = new StringBuilder();
        if (extensions.contains("SIZE")) p.append(" SIZE=").append(body.size());
        switch (mail.body()) {
            case SEVEN_BIT -> {}
            case EIGHT_BIT_MIME -> {
                if (!extensions.contains("8BITMIME")) throw new BackendFailure("offers no 8BITMIME");
                p.append(" BODY=8BITMIME");
            }
            case BINARY_MIME -> {
                if (!extensions.contains("BINARYMIME") || !extensions.contains("CHUNKING")) throw new BackendFailure("offers no BINARYMIME");
                p.append(" BODY=BINARYMIME");
            }
        }
        if (mail.smtputf8()) {
            if (!extensions.contains("SMTPUTF8")) throw new BackendFailure("offers no SMTPUTF8");
            p.append(" SMTPUTF8");
        }
        return p.toString();
    }

    /** LHLO (RFC 2033 §4.1): the extension keywords of the reply, upper case. */
    private Set<String> lhlo() throws IOException, BackendFailure, LmtpReplyParser.MalformedReplyException {
        command("LHLO " + hostname);
        LmtpReplyParser.Reply r = read();
        expect(r, 250, "LHLO");
        Set<String> extensions = new HashSet<>();
        for (String text : r.texts().subList(1, r.texts().size())) {
            int space = text.indexOf(' ');
            extensions.add((space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT));
        }
        return extensions;
    }

    /**
     * The back-end's reply for one recipient, passed on as is, except: a 421 (the back-end is
     * closing) ends the transaction with 451 for everyone unanswered, and a 50x (the back-end
     * found our command bad) is this front's fault, not the recipient's, so it becomes a 451.
     */
    private String relayed(LmtpReplyParser.Reply r, String address) throws BackendFailure {
        if (r.code() == 421) throw new BackendFailure("closing (" + r.line() + ")");
        if (r.code() / 10 == 50) {
            return "451 4.3.0 <" + address + "> The back-end refused the proxy's command, try again later (" + r.line() + ")";
        }
        return r.line();
    }

    private void unanswered(String why) {
        for (int i = 0; i < replies.length; i++) {
            if (replies[i] == null) replies[i] = "451 4.3.0 <" + addresses.get(i) + "> Mail store " + backend.node() + " unavailable, try again later";
        }
        LmtpForwarder.log.warn("lmtp forward to {}: {}", backend, why);
    }

    private static void expect(LmtpReplyParser.Reply r, int code, String what) throws BackendFailure {
        if (r.code() != code) throw new BackendFailure(what + " answered " + r.line());
    }

    private LmtpReplyParser.Reply read() throws IOException, LmtpReplyParser.MalformedReplyException {
        while (true) {
            LmtpReplyParser.Reply r = parser.poll();
            if (r != null) return r;
            int n = in.read(readBuffer);
            if (n < 0) throw new EOFException("connection closed by the back-end");
            parser.feed(readBuffer, 0, n);
        }
    }

    private void command(String line) throws IOException {
        write(line);
        out.flush();
    }

    private void write(String line) throws IOException {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write(CRLF);
    }

    /** QUIT without waiting long for its answer: every recipient already has its reply. */
    private void quit() {
        try {
            command("QUIT");
        } catch (IOException ignored) {
            // the replies are in; the back-end may close first
        }
    }

    private void streams() throws IOException {
        in = socket.getInputStream();
        out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        parser = new LmtpReplyParser(MAX_REPLY_LINE, MAX_REPLY_LINES);
    }

    private void closeQuietly() {
        try {
            if (socket != null) socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /**
     * RFC 5321 §4.5.2: a '.' at the start of a line gets another in front, and the body ends with
     * CRLF "." CRLF. A line start is after LF, as the back-end reads a bare LF as a line end.
     */
    static void writeDotStuffed(InputStream content, OutputStream out) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        boolean lineStart = true;
        int n;
        while ((n = content.read(buffer)) > 0) {
            int from = 0;
            for (int i = 0; i < n; i++) {
                if (lineStart && buffer[i] == '.') {
                    out.write(buffer, from, i - from);
                    out.write('.');
                    from = i;
                }
                lineStart = buffer[i] == '\n';
            }
            out.write(buffer, from, n - from);
        }
        if (!lineStart) out.write(CRLF);
        out.write(new byte[] {'.', '\r', '\n'});
    }

    private static int millis(Duration d) { return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis())); }
}
