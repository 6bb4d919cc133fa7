// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import dev.cairn.protocol.testing.Conversation;
import dev.cairn.store.rocks.RocksSlotStore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.protocol.auth.AuthThrottle;
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
        s.s("+OK Cairn POP3 ready");
        return s;
    }

    long uidValidity() { return slot.user("alice").mailbox("INBOX").orElseThrow().uidValidity(); }

    String uidl(long uid) { return String.format("%08X%08X", uid, uidValidity()); }

    void login() throws IOException { s.c("USER alice").s("+OK Send PASS").c("PASS secret").s("+OK Logged in, 3 messages"); }

    @Test
    void capabilitiesBeforeAndAfterLogin() throws Exception {
        start(config().withTls(cert.serverContext()));
        s.c("CAPA").s("+OK Capability list follows").s("TOP").s("UIDL").s("RESP-CODES").s("AUTH-RESP-CODE").s("PIPELINING")
                .s("EXPIRE NEVER").s("IMPLEMENTATION Cairn").s("USER").s("SASL PLAIN LOGIN").s("STLS").s(".");
        login();
        s.c("CAPA").s("+OK Capability list follows").s("TOP").s("UIDL").s("RESP-CODES").s("AUTH-RESP-CODE").s("PIPELINING")
                .s("EXPIRE NEVER").s("IMPLEMENTATION Cairn").s(".");
    }

    /** Epoch fencing (issue 5): the store got another master; the logged-in session is told and closed, nothing is deleted. */
    @Test
    void aFencedStoreEndsTheLoggedInSession() throws Exception {
        start(config());
        login();
        s.c("DELE 1").s("+OK Marked to be deleted");
        Conversation waiting = new Conversation(server.boundAddress());
        waiting.s("+OK Cairn POP3 ready");
        slot.replication().fence("store s1 moved to another master (epoch 2)");
        s.s("-ERR [SYS/TEMP] store s1 moved to another master (epoch 2)");
        s.expectClosed();
        // Not logged in yet: it goes on (on a node, its login is refused while the store is fenced).
        waiting.c("CAPA").s("+OK Capability list follows");
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
        login();
        int total = M1.length() + M2.length() + M3.length();
        s.c("STAT").s("+OK 3 " + total);
        s.c("LIST").s("+OK 3 messages (" + total + " octets)").s("1 " + M1.length()).s("2 " + M2.length()).s("3 " + M3.length()).s(".");
        s.c("LIST 2").s("+OK 2 " + M2.length());
        s.c("UIDL").s("+OK Unique-ID listing follows").s("1 " + uidl(1)).s("2 " + uidl(2)).s("3 " + uidl(3)).s(".");
        s.c("UIDL 3").s("+OK 3 " + uidl(3));
        s.c("RETR 1").s("+OK " + M1.length() + " octets").s("From: a@example.com").s("Subject: one").s("").s("first line")
                .s("..starts with a dot").s("third").s(".");
        s.c("RETR 3").s("+OK " + M3.length() + " octets").s("Subject: three").s("").s("no final newline").s(".");
        s.c("TOP 1 0").s("+OK Top of message follows").s("From: a@example.com").s("Subject: one").s("").s(".");
        s.c("TOP 1 2").s("+OK Top of message follows").s("From: a@example.com").s("Subject: one").s("").s("first line")
                .s("..starts with a dot").s(".");
        s.c("DELE 2").s("+OK Marked to be deleted");
        s.c("DELE 2").s("-ERR Message 2 is deleted");
        s.c("RETR 2").s("-ERR Message 2 is deleted");
        s.c("LIST 2").s("-ERR Message 2 is deleted");
        s.c("STAT").s("+OK 2 " + (total - M2.length()));
        s.c("RSET").s("+OK 3 messages");
        s.c("STAT").s("+OK 3 " + total);
        s.c("DELE 2").s("+OK Marked to be deleted");
        s.c("NOOP").s("+OK");
        assertThat(seen).isEmpty(); // nothing happens before QUIT
        s.c("QUIT").s("+OK Logging out, 1 messages deleted");
        s.expectClosed();
        // The view is told after the commit; allow for it to arrive on the committing thread.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (seen.stream().noneMatch(MailboxChange.Expunged.class::isInstance) && System.nanoTime() < deadline) Thread.sleep(10);
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
        s.c("USER alice").s("+OK Send PASS").c("PASS secret").s("+OK Logged in, 2 messages");
        s.c("UIDL").s("+OK Unique-ID listing follows").s("1 " + uidl(1)).s("2 " + uidl(3)).s(".");
        s.c("QUIT").s("+OK Logging out, 0 messages deleted");
    }

    @Test
    void aMessageExpungedByImapDuringTheSession() throws Exception {
        start(config());
        login();
        UserStore alice = slot.user("alice");
        MailboxInfo inbox = alice.mailbox("INBOX").orElseThrow();
        alice.expunge(inbox.id(), List.of(Uid.of(2)));
        // The maildrop keeps its numbering (RFC 1939 §8); the body is gone.
        s.c("RETR 2").s("-ERR Message 2 no longer exists");
        s.c("DELE 2").s("+OK Marked to be deleted");
        s.c("QUIT").s("+OK Logging out, 1 messages deleted");
        assertThat(alice.mailbox("INBOX").orElseThrow().messages()).isEqualTo(2);
    }

    @Test
    void messageNumberErrors() throws Exception {
        start(config());
        login();
        s.c("RETR 0").s("-ERR No such message");
        s.c("RETR -1").s("-ERR Invalid message number");
        s.c("RETR 4294967296").s("-ERR No such message");
        s.c("RETR 4").s("-ERR No such message");
        s.c("TOP 1 -1").s("-ERR Invalid line count");
        s.c("TOP 1").s("-ERR Syntax: TOP message lines");
        s.c("RETR").s("-ERR Syntax: RETR message");
        s.c("STAT x").s("-ERR Syntax: no arguments allowed");
        s.c("USER bob").s("-ERR Already logged in");
        s.c("STLS").s("-ERR STLS only before login");
        s.c("XTND").s("-ERR Unknown command");
        s.c("STAT").s("+OK 3 " + (M1.length() + M2.length() + M3.length()));
    }

    @Test
    void authorizationErrorsAndThrottling() throws Exception {
        start(config().withLimits(config().limits().withMaxBadCommandsPreAuth(5)));
        s.c("STAT").s("-ERR Not allowed before login");
        s.c("PASS secret").s("-ERR Send USER first");
        s.c("USER alice").s("+OK Send PASS").c("PASS wrong").s("-ERR [AUTH] Authentication failed");
        s.c("USER nobody").s("+OK Send PASS").c("PASS wrong").s("-ERR [AUTH] Authentication failed");
        assertThat(delays).containsExactly(Duration.ofSeconds(2)); // same address: the second guess waited
        s.c("USER down").s("+OK Send PASS").c("PASS x").s("-ERR [SYS/TEMP] Authentication service unavailable, try again later");
        s.c("USER bob").s("+OK Send PASS").c("PASS pass word").s("+OK Logged in, 0 messages");
        s.c("QUIT").s("+OK Logging out, 0 messages deleted");
    }

    @Test
    void tooManyBadCommandsBeforeLogin() throws Exception {
        start(config());
        s.c("A").s("-ERR Unknown command").c("B").s("-ERR Unknown command").c("C").s("-ERR Unknown command");
        s.c("D").s("-ERR Unknown command").s("-ERR Too many bad commands, closing connection");
        s.expectClosed();
    }

    @Test
    void saslPlainAndLogin() throws Exception {
        start(config());
        String plain = Base64.getEncoder().encodeToString("\0alice\0secret".getBytes(StandardCharsets.UTF_8));
        s.c("AUTH").s("+OK Mechanisms follow").s("PLAIN").s("LOGIN").s(".");
        s.c("AUTH CRAM-MD5").s("-ERR Unsupported authentication mechanism");
        s.c("AUTH PLAIN").s("+ ").c("*").s("-ERR Authentication cancelled");
        s.c("AUTH PLAIN !!!").s("-ERR [AUTH] Invalid SASL response");
        s.c("AUTH PLAIN").s("+ ").c(plain).s("+OK Logged in, 3 messages");
        s.c("QUIT").s("+OK Logging out, 0 messages deleted");
        connect();
        s.c("AUTH PLAIN " + plain).s("+OK Logged in, 3 messages").c("QUIT").s("+OK…");
        connect();
        s.c("AUTH LOGIN").s("+ VXNlcm5hbWU6").c(Base64.getEncoder().encodeToString("alice".getBytes()))
                .s("+ UGFzc3dvcmQ6").c(Base64.getEncoder().encodeToString("secret".getBytes())).s("+OK Logged in, 3 messages");
    }

    @Test
    void secondSessionOfTheSameUserIsInUse() throws Exception {
        start(config());
        login();
        Conversation first = s;
        connect();
        s.c("USER ALICE").s("+OK Send PASS").c("PASS secret").s("-ERR [IN-USE] Mailbox is locked by another POP3 session");
        first.c("QUIT").s("+OK Logging out, 0 messages deleted");
        first.expectClosed();
        s.c("USER alice").s("+OK Send PASS").c("PASS secret").s("+OK Logged in, 3 messages");
        first.close();
    }

    @Test
    void stlsDropsPipelinedCommands() throws Exception {
        start(config().withTls(cert.serverContext()));
        s.raw("STLS\r\nUSER alice\r\n").s("+OK Begin TLS negotiation");
        SSLContext client = TlsContexts.clientTrusting(List.of(cert.certificate()));
        SSLSocket ssl = (SSLSocket) client.getSocketFactory().createSocket(s.socket, "localhost", s.socket.getPort(), true);
        ssl.startHandshake();
        s.use(ssl);
        // The pipelined USER was never executed.
        s.c("PASS secret").s("-ERR Send USER first");
        s.c("STLS").s("-ERR Already using TLS");
        s.c("USER alice").s("+OK Send PASS").c("PASS secret").s("+OK Logged in, 3 messages");
    }

    @Test
    void implicitTlsPort() throws Exception {
        server = new Pop3Server(config().withTls(cert.serverContext()).withImplicitTlsListen(new InetSocketAddress("127.0.0.1", 0)),
                slot, auth, throttle);
        server.start();
        SSLContext client = TlsContexts.clientTrusting(List.of(cert.certificate()));
        SSLSocket ssl = (SSLSocket) client.getSocketFactory().createSocket("localhost", server.boundTlsAddress().getPort());
        s = new Conversation(server.boundAddress());
        s.close();
        s.use(ssl);
        s.socket.setSoTimeout(20_000);
        s.s("+OK Cairn POP3 ready");
        s.c("STLS").s("-ERR Already using TLS");
        login();
    }

    @Test
    void plaintextLoginRefusedFromANonLoopbackAddressWithoutTls() throws Exception {
        InetAddress external = null;
        for (NetworkInterface ni : NetworkInterface.networkInterfaces().toList()) {
            if (!ni.isUp() || ni.isLoopback()) continue;
            for (InetAddress a : ni.inetAddresses().toList()) if (a instanceof Inet4Address) external = a;
        }
        assumeTrue(external != null, "no non-loopback IPv4 address on this machine");
        server = new Pop3Server(config().withListen(new InetSocketAddress(external, 0)), slot, auth, throttle);
        server.start();
        connect();
        s.c("CAPA").s("+OK…");
        List<String> caps = new ArrayList<>();
        for (String l; !(l = s.readLine()).equals("."); ) caps.add(l);
        assertThat(caps).doesNotContain("USER", "SASL PLAIN LOGIN");
        s.c("USER alice").s("-ERR [AUTH] Plaintext authentication disallowed on non-secure connections");
        s.c("AUTH PLAIN AGFsaWNlAHNlY3JldA==").s("-ERR [AUTH] Plaintext authentication disallowed on non-secure connections");
        s.close();
        server.close();
        server = new Pop3Server(config().withListen(new InetSocketAddress(external, 0)).withAllowPlaintextAuth(true), slot, auth, throttle);
        server.start();
        connect();
        login();
    }

    @Test
    void overTheConnectionLimit() throws Exception {
        start(config().withMaxConnections(1));
        try (Conversation second = new Conversation(server.boundAddress())) {
            second.s("-ERR [SYS/TEMP] Too many connections, try again later");
            second.expectClosed();
        }
        login();
    }

    @Test
    void idleTimeout() throws Exception {
        start(config().withLimits(config().limits().withIdleTimeouts(Duration.ofMillis(300), Duration.ofMillis(300))));
        s.s("-ERR Disconnected for inactivity");
        s.expectClosed();
    }

    @Test
    void lineLengthAtTheBoundary() throws Exception {
        start(config().withLimits(config().limits().withMaxLineLength(100)));
        s.c("USER " + "a".repeat(95)).s("+OK Send PASS");
        s.c("USER " + "a".repeat(96)).s("-ERR Line too long");
        s.c("USER alice").s("+OK Send PASS").c("PASS secret").s("+OK…");
    }
}
