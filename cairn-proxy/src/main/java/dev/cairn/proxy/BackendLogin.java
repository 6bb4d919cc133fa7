// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.protocol.auth.ProxyLogin;
import dev.cairn.protocol.tls.TlsSockets;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;

/**
 * Opens a session on a back-end for one user and logs in as the front-end for that user
 * ({@link ProxyLogin}: SASL PLAIN, authorization identity = the user). In clear only to a
 * back-end on loopback; to any other, STARTTLS (IMAP, RFC 9051 §6.2.1) or STLS (POP3, RFC 2595)
 * verified against the cluster's trust first. Every line the back-end sends is bounded
 * ({@link BackendLines}), and the whole login by the connect timeout.
 */
final class BackendLogin {
    /** Untagged lines (an ID answer, a CAPABILITY) accepted while waiting for a tagged one. */
    private static final int MAX_UNTAGGED = 32;

    /** How a login on a back-end ended. */
    sealed interface Outcome {
        /** Logged in: relay. */
        record Open(BackendSession session) implements Outcome {}

        /** Not now (refused connection, reset, NO [UNAVAILABLE]): the store may be failing over; locate again. */
        record Retry(RelayMeters.Failure reason, String detail) implements Outcome {}

        /** Not at all with this configuration: give up at once. */
        record Fail(RelayMeters.Failure reason, String detail) implements Outcome {}

        /** The login was taken and the session refused for a reason of the user's: {@code reply} goes to the client as it is. */
        record Declined(String reply, String detail) implements Outcome {}
    }

    private final RelayConfig config;
    private final RelayMeters meters;
    private final Predicate<InetAddress> needsTls;

    /** TLS to every back-end off loopback (a password in clear crosses no network on loopback). */
    BackendLogin(RelayConfig config, RelayMeters meters) {
        this(config, meters, address -> !address.isLoopbackAddress());
    }

    /** Tests choose which back-ends need TLS: theirs are all on loopback. */
    BackendLogin(RelayConfig config, RelayMeters meters, Predicate<InetAddress> needsTls) {
        this.config = Objects.requireNonNull(config);
        this.meters = Objects.requireNonNull(meters);
        this.needsTls = Objects.requireNonNull(needsTls);
    }

    Outcome open(Backend backend, String user, InetAddress client) {
        InetAddress address;
        try {
            address = InetAddress.getByName(backend.host());
        } catch (IOException e) {
            return new Outcome.Retry(RelayMeters.Failure.CONNECT, backend + ": " + e);
        }
        boolean tls = needsTls.test(address);
        if (tls && config.backendTls() == null) {
            // the proxy password would cross a network in clear, and the back-end refuses it anyway
            return new Outcome.Fail(RelayMeters.Failure.CONNECT, backend + " is off loopback and no TLS to back-ends is configured");
        }
        Socket socket = new Socket();
        boolean open = false;
        try {
            int timeout = (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
            socket.connect(new InetSocketAddress(address, backend.port()), timeout);
            socket.setSoTimeout(timeout);
            socket.setTcpNoDelay(true);
            Outcome outcome = switch (backend.protocol()) {
                case "imap" -> imap(backend, socket, tls, user, client);
                case "pop3" -> pop3(backend, socket, tls, user);
                default -> new Outcome.Fail(RelayMeters.Failure.CONNECT, "no relay for protocol " + backend.protocol());
            };
            open = outcome instanceof Outcome.Open;
            return outcome;
        } catch (SSLException e) {
            // a certificate the cluster's trust does not accept stays so through a failover: not retried
            return new Outcome.Fail(RelayMeters.Failure.CONNECT, "TLS to " + backend + " failed: " + e.getMessage());
        } catch (IOException e) {
            return new Outcome.Retry(RelayMeters.Failure.CONNECT, backend + ": " + e);
        } finally {
            if (!open) closeQuietly(socket);
        }
    }

    /** The stream pair of a back-end connection, replaced by TLS's after STARTTLS. */
    private record Streams(Socket socket, BackendLines in, OutputStream out) {
        static Streams of(Socket s) throws IOException {
            return new Streams(s, new BackendLines(s.getInputStream()), new BufferedOutputStream(s.getOutputStream()));
        }

        void send(String lines) throws IOException {
            out.write(lines.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    private Streams startTls(Backend backend, Streams plain) throws IOException {
        // nothing the back-end sent before the handshake may be taken for TLS-protected (CVE-2011-0411's mirror)
        if (plain.in().hasBuffered()) throw new IOException(backend + " sent octets after its STARTTLS answer");
        Socket ssl = TlsSockets.client(config.backendTls(), plain.socket(), backend.host(), backend.port(),
                TlsSockets.HostCheck.TRUST_ONLY);
        return Streams.of(ssl);
    }

    private Outcome imap(Backend backend, Socket socket, boolean tls, String user, InetAddress client) throws IOException {
        Streams s = Streams.of(socket);
        String greeting = s.in().readLine();
        if (greeting.startsWith("* BYE")) return new Outcome.Retry(RelayMeters.Failure.CONNECT, backend + " greeted: " + greeting);
        if (!greeting.startsWith("* OK")) return new Outcome.Fail(RelayMeters.Failure.CONNECT, backend + " greeted: " + greeting);
        if (tls) {
            s.send("S STARTTLS\r\n");
            String answer = tagged(s, "S ");
            if (!answer.startsWith("S OK")) return new Outcome.Fail(RelayMeters.Failure.CONNECT, backend + " refused STARTTLS: " + answer);
            s = startTls(backend, s);
        }
        // RFC 2971 ID before the login: the back-end logs the client's address once the proxy login succeeded
        s.send("P1 ID (\"x-originating-ip\" \"" + client.getHostAddress() + "\")\r\n"
                + "P2 AUTHENTICATE PLAIN " + saslPlain(user) + "\r\n"); // SASL-IR, RFC 4959
        tagged(s, "P1 ");
        String answer = tagged(s, "P2 ");
        if (answer.startsWith("P2 OK")) return open(backend, s, answer.substring(3));
        if (answer.startsWith("P2 NO [UNAVAILABLE]")) return new Outcome.Retry(RelayMeters.Failure.TIMEOUT, backend + ": " + answer);
        return refused(backend, answer);
    }

    private Outcome pop3(Backend backend, Socket socket, boolean tls, String user) throws IOException {
        Streams s = Streams.of(socket);
        String greeting = s.in().readLine();
        if (!greeting.startsWith("+OK")) return new Outcome.Retry(RelayMeters.Failure.CONNECT, backend + " greeted: " + greeting);
        if (tls) {
            s.send("STLS\r\n");
            String answer = s.in().readLine();
            if (!answer.startsWith("+OK")) return new Outcome.Fail(RelayMeters.Failure.CONNECT, backend + " refused STLS: " + answer);
            s = startTls(backend, s);
        }
        s.send("AUTH PLAIN " + saslPlain(user) + "\r\n"); // initial response, RFC 5034 §4
        String answer = s.in().readLine();
        if (answer.startsWith("+OK")) return open(backend, s, answer);
        if (answer.startsWith("-ERR [SYS/TEMP]")) return new Outcome.Retry(RelayMeters.Failure.TIMEOUT, backend + ": " + answer);
        // another POP3 session holds the maildrop (RFC 2449 §8.1): the client's to know, not a failover nor a misconfiguration
        if (answer.startsWith("-ERR [IN-USE]")) return new Outcome.Declined(answer, backend + ": " + answer);
        return refused(backend, answer);
    }

    private Outcome open(Backend backend, Streams s, String loginReply) throws IOException {
        // the relay flushes every read: the socket's own stream, not the login's buffered one (which
        // would keep a buffer of up to 8 KiB for the session's life)
        return new Outcome.Open(new BackendSession(backend, s.socket(), s.in().rest(), s.socket().getOutputStream(), loginReply, meters));
    }

    private static Outcome refused(Backend backend, String answer) {
        // a back-end that refuses the front-end's own login: the secrets or trusted networks disagree
        return new Outcome.Fail(RelayMeters.Failure.LOGIN_REFUSED, backend + " refused the proxy login (check the cluster"
                + " secret and the back-end's trusted networks): " + answer);
    }

    /** Reads up to the line with {@code tag}; the untagged ones before it are not the front-end's business. */
    private static String tagged(Streams s, String tag) throws IOException {
        for (int i = 0; i <= MAX_UNTAGGED; i++) {
            String line = s.in().readLine();
            if (line.startsWith(tag)) return line;
            if (line.startsWith("* BYE")) throw new IOException("back-end said " + line);
        }
        throw new IOException("back-end sent more than " + MAX_UNTAGGED + " untagged lines before " + tag.trim());
    }

    /** RFC 4616: authzid NUL authcid NUL password, the password the back-end derives from the shared secret. */
    private String saslPlain(String user) {
        String message = user + "\0" + ProxyLogin.IDENTITY + "\0" + ProxyLogin.password(config.secret(), user);
        return Base64.getEncoder().encodeToString(message.getBytes(StandardCharsets.UTF_8));
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
