// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import dev.cairn.store.rocks.RocksSlotStore;
import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Network;
import dev.cairn.protocol.testing.FakeClock;
import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.NewMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.testkit.Conversation;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POP3 conversations over a real socket against a real slot store: every command and error path. */
class Pop3ConversationIT {
    @TempDir static Path certs;
    static SelfSignedCertificate cert;
    @TempDir Path dir;
    SlotStore slot;
    Pop3Server server;
    Conversation s;
    final List<Duration> delays = new CopyOnWriteArrayList<>();
    final FakeClock clock = new FakeClock();
    final AuthThrottle throttle = new AuthThrottle(AuthThrottle.Config.DEFAULT, clock, clock.sleeper(delays));
    final MapAuthenticator auth = new MapAuthenticator(Map.of("alice", "secret", "bob", "pass word"));

    static final String M1 = "From: a@example.com\r\nSubject: one\r\n\r\nfirst line\r\n.starts with a dot\r\nthird\r\n";
    static final String M2 = "Subject: two\r\n\r\nbody two\r\n";
    static final String M3 = "Subject: three\r\n\r\nno final newline";

    @BeforeAll
    static void certificate() throws Exception { cert = SelfSignedCertificate.loadOrCreate(certs); }

    @BeforeEach
    void seed() {
        slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false));
        UserStore alice = slot.openOrCreateUser("alice");
        List<NewMessage> messages = new ArrayList<>();
        for (String m : List.of(M1, M2, M3)) {
            messages.add(new NewMessage(BodySource.of(m.getBytes(StandardCharsets.UTF_8)), Flags.NONE, Instant.now()));
        }
        alice.append("INBOX", messages);
    }

    @AfterEach
    void stop() throws IOException {
        if (s != null) s.close();
        if (server != null) server.close();
        slot.close();
    }

    Pop3Config config() throws Exception {
        return Pop3Config.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)).withHostname("pop.test");
    }

    Conversation start(Pop3Config config) throws IOException {
        server = new Pop3Server(config, slot, auth, throttle);
        server.start();
        return connect();
    }

    Conversation connect() throws IOException {
        s = new Conversation(server.boundAddress());
        s.run("S: +OK Cairn POP3 ready");
        return s;
    }

    long uidValidity() { return slot.user("alice").mailbox("INBOX").orElseThrow().uidValidity(); }

    String uidl(long uid) { return String.format("%08X%08X", uid, uidValidity()); }

    static final String LOGIN = """
            C: USER alice
            S: +OK Send PASS
            C: PASS secret
            S: +OK Logged in, 3 messages
            """;

    /** CAPA's answer after login (before it, USER, SASL and STLS follow IMPLEMENTATION). */
    static final String CAPABILITIES = """
            S: +OK Capability list follows
            S: TOP
            S: UIDL
            S: RESP-CODES
            S: AUTH-RESP-CODE
            S: PIPELINING
            S: EXPIRE NEVER
            S: IMPLEMENTATION Cairn
            """;

    void login() throws IOException { s.run(LOGIN); }

    @Test
    void capabilitiesBeforeAndAfterLogin() throws Exception {
        start(config().withTls(cert.serverContext()));
        s.run("C: CAPA\n" + CAPABILITIES + """
                S: USER
                S: SASL PLAIN LOGIN
                S: STLS
                S: .
                """ + LOGIN + "C: CAPA\n" + CAPABILITIES + "S: .");
    }

    /** Epoch fencing (issue 5): the store got another master; the logged-in session is told and closed, nothing is deleted. */
    @Test
    void aFencedStoreEndsTheLoggedInSession() throws Exception {
        start(config());
        s.run(LOGIN + "C: DELE 1\nS: +OK Marked to be deleted");
        Conversation waiting = new Conversation(server.boundAddress());
        waiting.run("S: +OK Cairn POP3 ready");
        slot.replication().fence("store s1 moved to another master (epoch 2)");
        s.run("S: -ERR [SYS/TEMP] store s1 moved to another master (epoch 2)\nS: <closed>");
        waiting.run("""
                # Not logged in yet: it goes on (on a node, its login is refused while the store is fenced).
                C: CAPA
                S: +OK Capability list follows
                """);
        waiting.close();
        assertThat(slot.user("alice").mailbox("INBOX").orElseThrow().messages()).isEqualTo(3);
    }

    @Test
    void readAndDeleteThenUpdateAtQuit() throws Exception {
        start(config());
        MailboxInfo inbox = slot.user("alice").mailbox("INBOX").orElseThrow();
        // An IMAP session watching INBOX: the POP3 expunge must reach it at once.
        List<MailboxChange> seen = new CopyOnWriteArrayList<>();
        var attachment = slot.user("alice").view(inbox.id()).attach(seen::add);
        int total = M1.length() + M2.length() + M3.length();
        s.run(LOGIN + """
                C: STAT
                S: +OK 3 %1$d
                C: LIST
                S: +OK 3 messages (%1$d octets)
                S: 1 %2$d
                S: 2 %3$d
                S: 3 %4$d
                S: .
                C: LIST 2
                S: +OK 2 %3$d
                C: UIDL
                S: +OK Unique-ID listing follows
                S: 1 %5$s
                S: 2 %6$s
                S: 3 %7$s
                S: .
                C: UIDL 3
                S: +OK 3 %7$s
                C: RETR 1
                S: +OK %2$d octets
                S: From: a@example.com
                S: Subject: one
                S:
                S: first line
                S: ..starts with a dot
                S: third
                S: .
                C: RETR 3
                S: +OK %4$d octets
                S: Subject: three
                S:
                S: no final newline
                S: .
                C: TOP 1 0
                S: +OK Top of message follows
                S: From: a@example.com
                S: Subject: one
                S:
                S: .
                C: TOP 1 2
                S: +OK Top of message follows
                S: From: a@example.com
                S: Subject: one
                S:
                S: first line
                S: ..starts with a dot
                S: .
                C: DELE 2
                S: +OK Marked to be deleted
                C: DELE 2
                S: -ERR Message 2 is deleted
                C: RETR 2
                S: -ERR Message 2 is deleted
                C: LIST 2
                S: -ERR Message 2 is deleted
                C: STAT
                S: +OK 2 %8$d
                C: RSET
                S: +OK 3 messages
                C: STAT
                S: +OK 3 %1$d
                C: DELE 2
                S: +OK Marked to be deleted
                C: NOOP
                S: +OK
                """.formatted(total, M1.length(), M2.length(), M3.length(), uidl(1), uidl(2), uidl(3), total - M2.length()));
        assertThat(seen).isEmpty(); // nothing happens before QUIT
        s.run("""
                C: QUIT
                S: +OK Logging out, 1 messages deleted
                S: <closed>
                """);
        // The view is told after the commit; allow for it to arrive on the committing thread.
        eventually(Duration.ofSeconds(5), () -> assertThat(seen).anyMatch(MailboxChange.Expunged.class::isInstance));
        attachment.close();

        assertThat(seen).anySatisfy(change -> assertThat(change).isInstanceOfSatisfying(MailboxChange.Expunged.class,
                e -> assertThat(e.uids()).containsExactly(Uid.of(2))));
        UserStore alice = slot.user("alice");
        assertThat(alice.mailbox("INBOX").orElseThrow().messages()).isEqualTo(2);
        // Retrieved messages are \Seen for IMAP afterwards.
        List<MessageRecord> records = alice.messages(inbox.id(), List.of(Uid.of(1), Uid.of(3)));
        assertThat(records).allSatisfy(r -> assertThat(r.flags().has(Flags.SEEN)).isTrue());

        // A new session: the same UIDLs for the messages that stayed, renumbered.
        connect();
        s.run("""
                C: USER alice
                S: +OK Send PASS
                C: PASS secret
                S: +OK Logged in, 2 messages
                C: UIDL
                S: +OK Unique-ID listing follows
                S: 1 %s
                S: 2 %s
                S: .
                C: QUIT
                S: +OK Logging out, 0 messages deleted
                """.formatted(uidl(1), uidl(3)));
    }

    @Test
    void aMessageExpungedByImapDuringTheSession() throws Exception {
        start(config());
        login();
        UserStore alice = slot.user("alice");
        MailboxInfo inbox = alice.mailbox("INBOX").orElseThrow();
        alice.expunge(inbox.id(), List.of(Uid.of(2)));
        s.run("""
                # The maildrop keeps its numbering (RFC 1939 §8); the body is gone.
                C: RETR 2
                S: -ERR Message 2 no longer exists
                C: DELE 2
                S: +OK Marked to be deleted
                C: QUIT
                S: +OK Logging out, 1 messages deleted
                """);
        assertThat(alice.mailbox("INBOX").orElseThrow().messages()).isEqualTo(2);
    }

    @Test
    void messageNumberErrors() throws Exception {
        start(config());
        s.run(LOGIN + """
                C: RETR 0
                S: -ERR No such message
                C: RETR -1
                S: -ERR Invalid message number
                C: RETR 4294967296
                S: -ERR No such message
                C: RETR 4
                S: -ERR No such message
                C: TOP 1 -1
                S: -ERR Invalid line count
                C: TOP 1
                S: -ERR Syntax: TOP message lines
                C: RETR
                S: -ERR Syntax: RETR message
                C: STAT x
                S: -ERR Syntax: no arguments allowed
                C: USER bob
                S: -ERR Already logged in
                C: STLS
                S: -ERR STLS only before login
                C: XTND
                S: -ERR Unknown command
                C: STAT
                S: +OK 3 %d
                """.formatted(M1.length() + M2.length() + M3.length()));
    }

    @Test
    void authorizationErrorsAndThrottling() throws Exception {
        start(config().withLimits(config().limits().withMaxBadCommandsPreAuth(5)));
        s.run("""
                C: STAT
                S: -ERR Not allowed before login
                C: PASS secret
                S: -ERR Send USER first
                C: USER alice
                S: +OK Send PASS
                C: PASS wrong
                S: -ERR [AUTH] Authentication failed
                C: USER nobody
                S: +OK Send PASS
                C: PASS wrong
                S: -ERR [AUTH] Authentication failed
                """);
        assertThat(delays).containsExactly(Duration.ofSeconds(2)); // same address: the second guess waited
        s.run("""
                C: USER down
                S: +OK Send PASS
                C: PASS x
                S: -ERR [SYS/TEMP] Authentication service unavailable, try again later
                C: USER bob
                S: +OK Send PASS
                C: PASS pass word
                S: +OK Logged in, 0 messages
                C: QUIT
                S: +OK Logging out, 0 messages deleted
                """);
    }

    @Test
    void tooManyBadCommandsBeforeLogin() throws Exception {
        start(config());
        s.run("""
                C: A
                S: -ERR Unknown command
                C: B
                S: -ERR Unknown command
                C: C
                S: -ERR Unknown command
                C: D
                S: -ERR Unknown command
                S: -ERR Too many bad commands, closing connection
                S: <closed>
                """);
    }

    @Test
    void saslPlainAndLogin() throws Exception {
        start(config());
        String plain = Base64.getEncoder().encodeToString("\0alice\0secret".getBytes(StandardCharsets.UTF_8));
        s.run("""
                C: AUTH
                S: +OK Mechanisms follow
                S: PLAIN
                S: LOGIN
                S: .
                C: AUTH CRAM-MD5
                S: -ERR Unsupported authentication mechanism
                C: AUTH PLAIN
                S: +\s
                C: *
                S: -ERR Authentication cancelled
                C: AUTH PLAIN !!!
                S: -ERR [AUTH] Invalid SASL response
                C: AUTH PLAIN
                S: +\s
                C: %s
                S: +OK Logged in, 3 messages
                C: QUIT
                S: +OK Logging out, 0 messages deleted
                """.formatted(plain));
        connect();
        s.run("""
                C: AUTH PLAIN %s
                S: +OK Logged in, 3 messages
                C: QUIT
                S: +OK…
                """.formatted(plain));
        connect();
        s.run("""
                C: AUTH LOGIN
                S: + VXNlcm5hbWU6
                C: %s
                S: + UGFzc3dvcmQ6
                C: %s
                S: +OK Logged in, 3 messages
                """.formatted(Base64.getEncoder().encodeToString("alice".getBytes()), Base64.getEncoder().encodeToString("secret".getBytes())));
    }

    @Test
    void secondSessionOfTheSameUserIsInUse() throws Exception {
        start(config());
        login();
        Conversation first = s;
        connect();
        s.run("""
                C: USER ALICE
                S: +OK Send PASS
                C: PASS secret
                S: -ERR [IN-USE] Mailbox is locked by another POP3 session
                """);
        first.run("""
                C: QUIT
                S: +OK Logging out, 0 messages deleted
                S: <closed>
                """);
        s.run(LOGIN);
        first.close();
    }

    @Test
    void stlsDropsPipelinedCommands() throws Exception {
        start(config().withTls(cert.serverContext()));
        s.run("C: STLS<CRLF>USER alice\nS: +OK Begin TLS negotiation");
        SSLContext client = TlsContexts.clientTrusting(List.of(cert.certificate()));
        SSLSocket ssl = (SSLSocket) client.getSocketFactory().createSocket(s.socket(), "localhost", s.socket().getPort(), true);
        ssl.startHandshake();
        s.use(ssl);
        s.run("""
                # The pipelined USER was never executed.
                C: PASS secret
                S: -ERR Send USER first
                C: STLS
                S: -ERR Already using TLS
                """ + LOGIN);
    }

    @Test
    void implicitTlsPort() throws Exception {
        server = new Pop3Server(config().withTls(cert.serverContext()).withImplicitTlsListen(new InetSocketAddress("127.0.0.1", 0)),
                slot, auth, throttle);
        server.start();
        SSLContext client = TlsContexts.clientTrusting(List.of(cert.certificate()));
        SSLSocket ssl = (SSLSocket) client.getSocketFactory().createSocket("localhost", server.boundTlsAddress().getPort());
        s = new Conversation(ssl);
        s.run("""
                S: +OK Cairn POP3 ready
                C: STLS
                S: -ERR Already using TLS
                """ + LOGIN);
    }

    @Test
    void plaintextLoginRefusedFromANonLoopbackAddressWithoutTls() throws Exception {
        InetAddress external = externalAddress();
        server = new Pop3Server(config().withListen(new InetSocketAddress(external, 0)), slot, auth, throttle);
        server.start();
        connect();
        List<String> caps = capa();
        assertThat(caps).doesNotContain("USER", "SASL PLAIN LOGIN");
        s.run("""
                C: USER alice
                S: -ERR [AUTH] Plaintext authentication disallowed on non-secure connections
                C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
                S: -ERR [AUTH] Plaintext authentication disallowed on non-secure connections
                """);
        s.close();
        server.close();
        server = new Pop3Server(config().withListen(new InetSocketAddress(external, 0)).withAllowPlaintextAuth(true), slot, auth, throttle);
        server.start();
        connect();
        login();
    }

    /** nginx's mail proxy off loopback logs in with USER/PASS in clear: [pop3] plaintext_auth_networks lets it. */
    @Test
    void aPeerInThePlaintextAuthNetworksMayLogInInClearItsNeighbourMayNot() throws Exception {
        InetAddress external = externalAddress();
        byte[] next = external.getAddress();
        next[3] ^= 1; // the block of one address beside ours: the peer is just outside it
        server = new Pop3Server(config().withListen(new InetSocketAddress(external, 0))
                .withPlaintextAuthNetworks(List.of(Network.parse(InetAddress.getByAddress(next).getHostAddress() + "/32"))), slot, auth, throttle);
        server.start();
        connect();
        List<String> caps = capa();
        assertThat(caps).doesNotContain("USER", "SASL PLAIN LOGIN");
        s.run("""
                C: USER alice
                S: -ERR [AUTH] Plaintext authentication disallowed on non-secure connections
                """);
        s.close();
        server.close();
        server = new Pop3Server(config().withListen(new InetSocketAddress(external, 0))
                .withPlaintextAuthNetworks(List.of(Network.parse(external.getHostAddress() + "/32"))), slot, auth, throttle);
        server.start();
        connect();
        assertThat(capa()).contains("USER", "SASL PLAIN LOGIN");
        login();
    }

    /** An IPv4 address of this machine off loopback (the test is skipped without one). */
    private static InetAddress externalAddress() throws IOException {
        InetAddress external = null;
        for (NetworkInterface ni : NetworkInterface.networkInterfaces().toList()) {
            if (!ni.isUp() || ni.isLoopback()) continue;
            for (InetAddress a : ni.inetAddresses().toList()) if (a instanceof Inet4Address) external = a;
        }
        assumeTrue(external != null, "no non-loopback IPv4 address on this machine");
        return external;
    }

    /** CAPA's lines between +OK and the final dot. */
    private List<String> capa() throws IOException {
        s.run("C: CAPA\nS: +OK…");
        List<String> caps = new ArrayList<>();
        for (String l; !(l = s.readLine()).equals("."); ) caps.add(l);
        return caps;
    }

    @Test
    void overTheConnectionLimit() throws Exception {
        start(config().withMaxConnections(1));
        try (Conversation second = new Conversation(server.boundAddress())) {
            second.run("""
                    S: -ERR [SYS/TEMP] Too many connections, try again later
                    S: <closed>
                    """);
        }
        login();
    }

    @Test
    void idleTimeout() throws Exception {
        start(config().withLimits(config().limits().withIdleTimeouts(Duration.ofMillis(300), Duration.ofMillis(300))));
        s.run("""
                S: -ERR Disconnected for inactivity
                S: <closed>
                """);
    }

    @Test
    void lineLengthAtTheBoundary() throws Exception {
        start(config().withLimits(config().limits().withMaxLineLength(100)));
        s.run("""
                C: USER %s
                S: +OK Send PASS
                C: USER %s
                S: -ERR Line too long
                C: USER alice
                S: +OK Send PASS
                C: PASS secret
                S: +OK…
                """.formatted("a".repeat(95), "a".repeat(96)));
    }
}
