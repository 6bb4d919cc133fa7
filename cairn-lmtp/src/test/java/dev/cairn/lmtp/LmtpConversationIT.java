// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.protocol.testing.Conversation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.Limits;
import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LMTP conversations over a real socket: client line, expected server line, for every command and error path. */
class LmtpConversationIT {
    @TempDir Path spool;
    final Map<String, MemoryUserStore> stores = new ConcurrentHashMap<>();
    LmtpServer server;
    Conversation s;

    final MapRecipientResolver resolver;

    LmtpConversationIT() {
        Map<String, String> addresses = new HashMap<>();
        addresses.put("alice@example.com", "alice");
        addresses.put("bob@example.com", "bob");
        addresses.put("postmaster@example.com", "alice");
        addresses.put("broken@example.com", null);
        addresses.put("gone@example.com", "disabled:gone");
        resolver = new MapRecipientResolver(addresses);
    }

    @BeforeEach
    void stores() {
        stores.put("alice", new MemoryUserStore("alice", "work"));
        stores.put("bob", new MemoryUserStore("bob"));
    }

    LmtpConfig config() {
        return LmtpConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)).withHostname("mx.test")
                .withSpoolDirectory(spool);
    }

    Conversation start(LmtpConfig config) throws IOException {
        server = new LmtpServer(config, user -> (UserStore) stores.get(user), resolver);
        server.start();
        s = new Conversation(server.boundAddress());
        s.s("220 mx.test Cairn LMTP ready");
        return s;
    }

    Conversation startGreeted(LmtpConfig config) throws IOException {
        start(config);
        s.c("LHLO client.test");
        lhloReply();
        return s;
    }

    /** The LHLO reply when STARTTLS is not offered. */
    void lhloReply() throws IOException {
        s.s("250-mx.test").s("250-PIPELINING").s("250-ENHANCEDSTATUSCODES").s("250-SIZE …").s("250-8BITMIME")
                .s("250-BINARYMIME").s("250-CHUNKING").s("250 SMTPUTF8");
    }

    @AfterEach
    void stop() throws IOException {
        if (s != null) s.close();
        if (server != null) server.close();
    }

    static String text(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    @Test
    void deliveryToTwoUsersWithOneUnknownRecipient() throws IOException {
        startGreeted(config());
        s.c("MAIL FROM:<sender@remote.example>").s("250 2.1.0 Sender OK");
        s.c("RCPT TO:<alice@example.com>").s("250 2.1.5 <alice@example.com> Recipient OK");
        s.c("RCPT TO:<nobody@example.com>").s("550 5.1.1 <nobody@example.com> User unknown: no address nobody@example.com");
        s.c("RCPT TO:<bob@example.com>").s("250 2.1.5 <bob@example.com> Recipient OK");
        s.c("DATA").s("354 Start mail input; end with <CRLF>.<CRLF>");
        s.raw("Subject: hi\r\n\r\n..dot-stuffed\r\nbare LF\nlast line\r\n.\r\n");
        s.s("250 2.0.0 <alice@example.com> Saved in INBOX as UID 1");
        s.s("250 2.0.0 <bob@example.com> Saved in INBOX as UID 1");
        s.c("QUIT").s("221 2.0.0 mx.test closing connection");
        s.expectClosed();
        String expected = "Return-Path: <sender@remote.example>\r\nSubject: hi\r\n\r\n.dot-stuffed\r\nbare LF\r\nlast line\r\n";
        assertThat(TraceFields.withoutReceived(text(stores.get("alice").messages("INBOX").getFirst()))).isEqualTo(expected);
        // Two recipients: no Delivered-To, so both copies are the same bytes (one body in the store).
        assertThat(stores.get("bob").messages("INBOX").getFirst()).isEqualTo(stores.get("alice").messages("INBOX").getFirst());
    }

    @Test
    void oneRecipientGetsDeliveredToAndDetailGoesToItsFolder() throws IOException {
        startGreeted(config());
        s.c("MAIL FROM:<>").s("250 2.1.0 Sender OK");
        s.c("RCPT TO:<alice+work@example.com>").s("250 2.1.5 <alice+work@example.com> Recipient OK");
        s.c("DATA").s("354…").raw("x\r\n.\r\n").s("250 2.0.0 <alice+work@example.com> Saved in work as UID 1");
        assertThat(TraceFields.withoutReceived(text(stores.get("alice").messages("work").getFirst())))
                .isEqualTo("Return-Path: <>\r\nDelivered-To: alice+work@example.com\r\nx\r\n");
        // A detail without a folder of that name goes to INBOX.
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice+nosuch@example.com>").s("250…");
        s.c("DATA").s("354…").raw("y\r\n.\r\n").s("250 2.0.0 <alice+nosuch@example.com> Saved in INBOX as UID 1");
        // The address and a detail that falls back to INBOX name the same folder: one copy.
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("RCPT TO:<alice+nosuch@example.com>").s("250…");
        s.c("DATA").s("354…").raw("z\r\n.\r\n").s("250 2.0.0 <alice@example.com> Saved in INBOX as UID 2")
                .s("250 2.0.0 <alice+nosuch@example.com> Saved in INBOX as UID 2");
        assertThat(stores.get("alice").messages("INBOX")).hasSize(2);
    }

    @Test
    void pipelinedTransactionWithMixedRecipients() throws IOException {
        startGreeted(config());
        // Everything up to DATA in one write (RFC 2920), then the message after the 354.
        s.raw("MAIL FROM:<a@remote.example> SIZE=30\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<ghost@example.com>\r\n"
                + "RCPT TO:<broken@example.com>\r\nRCPT TO:<postmaster@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n");
        s.s("250 2.1.0 Sender OK");
        s.s("250 2.1.5 <alice@example.com> Recipient OK");
        s.s("550 5.1.1 <ghost@example.com> User unknown: no address ghost@example.com");
        s.s("451 4.3.0 <broken@example.com> Temporary lookup failure");
        s.s("250 2.1.5 <postmaster@example.com> Recipient OK");
        s.s("250 2.1.5 <bob@example.com> Recipient OK");
        s.s("354 Start mail input; end with <CRLF>.<CRLF>");
        stores.get("bob").refuseWith = StoreException.Reason.UNAVAILABLE;
        s.raw("Subject: x\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\n");
        // One reply per accepted recipient in RCPT order; postmaster is an alias of alice: one copy.
        s.s("250 2.0.0 <alice@example.com> Saved in INBOX as UID 1");
        s.s("250 2.0.0 <postmaster@example.com> Saved in INBOX as UID 1");
        s.s("451 4.3.0 <bob@example.com> Mail store temporarily unavailable");
        s.s("250 2.0.0 OK").s("250 2.0.0 OK");
        assertThat(stores.get("alice").messages("INBOX")).hasSize(1);
        assertThat(stores.get("bob").messages("INBOX")).isEmpty();
    }

    @Test
    void quotaAnswersPermanentOrTemporaryAsConfigured() throws IOException {
        stores.get("alice").refuseWith = StoreException.Reason.OVER_QUOTA;
        startGreeted(config());
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("DATA").s("354…");
        s.raw("x\r\n.\r\n").s("552 5.2.2 <alice@example.com> Mailbox full");
        s.close();
        server.close();
        startGreeted(config().withQuotaTemporary(true));
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("DATA").s("354…");
        s.raw("x\r\n.\r\n").s("452 4.2.2 <alice@example.com> Mailbox full");
        stores.get("alice").refuseWith = StoreException.Reason.TOO_BIG;
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("DATA").s("354…");
        s.raw("x\r\n.\r\n").s("552 5.3.4 <alice@example.com> Message too big");
    }

    @Test
    void sizeLimitDeclaredAndActual() throws IOException {
        startGreeted(config().withMaxMessageSize(100));
        s.c("MAIL FROM:<> SIZE=101").s("552 5.3.4 Message size exceeds fixed maximum message size of 100 octets");
        s.c("MAIL FROM:<> SIZE=100").s("250 2.1.0 Sender OK");
        s.c("RCPT TO:<alice@example.com>").s("250…").c("DATA").s("354…");
        // 99 octets + CRLF = 101 > 100 (the limit is on the message as received, before added headers).
        s.raw("a".repeat(99) + "\r\n.\r\n").s("552 5.3.4 <alice@example.com> Message too big");
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("DATA").s("354…");
        s.raw("a".repeat(98) + "\r\n.\r\n").s("250 2.0.0 <alice@example.com>…");
        assertThat(stores.get("alice").messages("INBOX")).hasSize(1);
    }

    @Test
    void recipientLimitAtTheBoundary() throws IOException {
        startGreeted(config().withMaxRecipients(3));
        s.c("MAIL FROM:<>").s("250…");
        s.c("RCPT TO:<alice@example.com>").s("250…").c("RCPT TO:<bob@example.com>").s("250…").c("RCPT TO:<postmaster@example.com>").s("250…");
        s.c("RCPT TO:<alice+work@example.com>").s("452 4.5.3 Too many recipients");
        s.c("DATA").s("354…").raw("x\r\n.\r\n").s("250 2.0.0 <alice@example.com>…").s("250 2.0.0 <bob@example.com>…").s("250 2.0.0 <postmaster@example.com>…");
    }

    @Test
    void commandLineLengthAtTheBoundary() throws IOException {
        int max = 100;
        startGreeted(config().withLimits(config().limits().withMaxLineLength(max)));
        s.c("NOOP " + "x".repeat(max - 5)).s("250 2.0.0 OK");
        s.c("NOOP " + "x".repeat(max - 4)).s("500 5.5.2 Line too long");
        s.c("NOOP").s("250 2.0.0 OK");
    }

    @Test
    void tooManyBadCommandsCloseTheConnection() throws IOException {
        startGreeted(config().withLimits(config().limits().withMaxBadCommands(3)));
        s.c("FOO").s("500 5.5.2 Unknown command");
        s.c("RCPT TO:<alice@example.com>").s("503 5.5.1 Need MAIL before RCPT");
        s.c("HELO x").s("500 5.5.1 This is LMTP: say LHLO, not HELO");
        s.c("BAR").s("500 5.5.2 Unknown command").s("421 4.7.0 mx.test Too many errors, closing connection");
        s.expectClosed();
    }

    @Test
    void sequenceErrorsAndSimpleCommands() throws IOException {
        start(config());
        s.c("MAIL FROM:<>").s("503 5.5.1 Send LHLO first");
        s.c("NOOP").s("250 2.0.0 OK");
        s.c("VRFY alice").s("252 2.5.0 Cannot VRFY, send some mail");
        s.c("STARTTLS").s("502 5.5.1 STARTTLS not available");
        s.c("LHLO client.test");
        lhloReply();
        s.c("DATA").s("503 5.5.1 Need MAIL before DATA");
        s.c("MAIL FROM:<>").s("250…").c("MAIL FROM:<>").s("503 5.5.1 Nested MAIL command");
        s.c("DATA").s("503 5.5.1 No valid recipients");
        s.c("RCPT TO:<x>").s("550 5.1.1 <x> User unknown: no address x");
        s.c("RSET").s("250 2.0.0 OK");
        s.c("RCPT TO:<alice@example.com>").s("503 5.5.1 Need MAIL before RCPT");
        s.c("MAIL FROM:<> BODY=BINARYMIME").s("250…").c("RCPT TO:<alice@example.com>").s("250…");
        s.c("DATA").s("503 5.5.1 BODY=BINARYMIME needs BDAT");
        s.c("MAIL FROM:<> SMTPUTF8").s("503 5.5.1 Nested MAIL command");
        s.c("RSET").s("250 2.0.0 OK");
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<jösé@example.com>").s("553 5.6.7 Non-ASCII address needs SMTPUTF8");
        s.c("QUIT").s("221 2.0.0 mx.test closing connection");
    }

    @Test
    void bdatChunksAreStoredExactly() throws IOException {
        startGreeted(config());
        byte[] part1 = "Subject: bin\r\n\r\nline\nwith bare LF and \0 NUL\r\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] part2 = ".leading dot stays\r\n".getBytes(StandardCharsets.ISO_8859_1);
        s.c("MAIL FROM:<s@r.example> BODY=BINARYMIME").s("250…").c("RCPT TO:<alice@example.com>").s("250…");
        s.raw("BDAT " + part1.length + "\r\n").raw(part1).s("250 2.0.0 " + part1.length + " octets received");
        s.c("DATA").s("503 5.5.1 DATA after BDAT");
        s.raw("BDAT " + part2.length + " LAST\r\n").raw(part2).s("250 2.0.0 <alice@example.com> Saved in INBOX as UID 1");
        assertThat(TraceFields.withoutReceived(text(stores.get("alice").messages("INBOX").getFirst())))
                .isEqualTo("Return-Path: <s@r.example>\r\nDelivered-To: alice@example.com\r\n" + new String(part1, StandardCharsets.ISO_8859_1) + ".leading dot stays\r\n");
        // A BDAT out of a transaction is consumed and refused; the connection stays in sync.
        s.raw("BDAT 5\r\nNOOP\n").s("503 5.5.1 Need MAIL before BDAT");
        s.c("NOOP").s("250 2.0.0 OK");
    }

    @Test
    void bdatOverTheSizeLimitFailsTheTransaction() throws IOException {
        startGreeted(config().withMaxMessageSize(10));
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…");
        s.raw("BDAT 11 LAST\r\n" + "x".repeat(11)).s("552 5.3.4 Message size exceeds fixed maximum message size of 10 octets");
        s.raw("BDAT 1 LAST\r\nx").s("503 5.5.1 Need MAIL before BDAT");
        assertThat(stores.get("alice").messages("INBOX")).isEmpty();
    }

    @Test
    void largeMessageIsSpooledToDiskAndTheSpoolIsCleanedUp() throws IOException {
        startGreeted(config().withMemoryThreshold(1024));
        StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
        for (int i = 0; i < 5000; i++) body.append("line ").append(i).append(" of a large message\r\n");
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("DATA").s("354…");
        s.raw(body + ".\r\n").s("250 2.0.0 <alice@example.com>…");
        assertThat(text(stores.get("alice").messages("INBOX").getFirst())).endsWith(body.toString());
        try (Stream<Path> left = Files.list(spool)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aSpoolFailureIsTemporary() throws IOException {
        // The spool directory is gone (think: disk full): the MTA must retry, nothing is stored.
        startGreeted(config().withMemoryThreshold(0).withSpoolDirectory(spool.resolve("missing")));
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("RCPT TO:<bob@example.com>").s("250…");
        s.c("DATA").s("354…").raw("x\r\n.\r\n");
        s.s("451 4.3.0 <alice@example.com> Temporary failure storing the message, try again later");
        s.s("451 4.3.0 <bob@example.com> Temporary failure storing the message, try again later");
        s.c("NOOP").s("250 2.0.0 OK");
        assertThat(stores.get("alice").messages("INBOX")).isEmpty();
    }

    @Test
    void dataLineTooLongIsRefusedPerRecipient() throws IOException {
        startGreeted(config());
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("DATA").s("354…");
        s.raw("a".repeat((1 << 20) + 1) + "\r\n.\r\n").s("554 5.6.0 <alice@example.com> Message has a line longer than 1048576 octets");
        assertThat(stores.get("alice").messages("INBOX")).isEmpty();
    }

    @Test
    void idleTimeoutSays421() throws IOException {
        start(config().withLimits(config().limits().withIdleTimeouts(Duration.ofMillis(300), Duration.ofMillis(300))));
        s.s("421 4.4.2 mx.test Idle timeout, closing connection");
        s.expectClosed();
    }

    @Test
    void overTheConnectionLimit() throws IOException {
        start(config().withMaxConnections(1));
        try (Conversation second = new Conversation(server.boundAddress())) {
            second.s("421 4.3.2 mx.test Too many connections, try again later");
            second.expectClosed();
        }
    }

    @Test
    void startTlsDropsPipelinedCommands(@TempDir Path certs) throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(certs);
        start(config().withStartTls(cert.serverContext()));
        // SIZE is the configured maximum (64 MiB by default).
        s.c("LHLO client.test");
        s.s("250-mx.test").s("250-PIPELINING").s("250-ENHANCEDSTATUSCODES").s("250-SIZE 67108864").s("250-8BITMIME")
                .s("250-BINARYMIME").s("250-CHUNKING").s("250-SMTPUTF8").s("250 STARTTLS");
        // The injected MAIL would open a transaction if it were executed.
        s.raw("STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n").s("220 2.0.0 Ready to start TLS");
        SSLContext client = TlsContexts.clientTrusting(List.of(cert.certificate()));
        SSLSocket ssl = (SSLSocket) client.getSocketFactory().createSocket(s.socket, "localhost", s.socket.getPort(), true);
        ssl.startHandshake();
        s.use(ssl);
        // After TLS: nothing remembered, no transaction open, and LHLO needed again (RFC 3207 §4.2).
        s.c("RCPT TO:<alice@example.com>").s("503 5.5.1 Need MAIL before RCPT");
        s.c("MAIL FROM:<>").s("503 5.5.1 Send LHLO first");
        s.c("LHLO client.test");
        lhloReply(); // no STARTTLS offered any more
        s.c("STARTTLS").s("503 5.5.1 TLS already active");
        s.c("MAIL FROM:<>").s("250 2.1.0 Sender OK");
        s.c("RCPT TO:<bob@example.com>").s("250…").c("DATA").s("354…").raw("over TLS\r\n.\r\n").s("250…");
        assertThat(TraceFields.received(text(stores.get("bob").messages("INBOX").getFirst())).group(4)).isEqualTo("LMTPS");
    }

    @Test
    void eachDeliveryGetsAReceivedFieldWithTheClientAddressAndTheOneRecipient() throws IOException {
        startGreeted(config());
        s.c("MAIL FROM:<sender@remote.example>").s("250…").c("RCPT TO:<Bob@Example.com>").s("250…");
        s.c("DATA").s("354…").raw("Subject: traced\r\n\r\nbody\r\n.\r\n").s("250…");
        String stored = text(stores.get("bob").messages("INBOX").getFirst());
        var received = TraceFields.received(stored);
        assertThat(received.group(1)).isEqualTo("client.test");
        assertThat(received.group(2)).isEqualTo("[127.0.0.1]");
        assertThat(received.group(3)).isEqualTo("mx.test");
        assertThat(received.group(4)).isEqualTo("LMTP");
        assertThat(received.group(6)).as("for <the recipient as the MTA gave it>").isEqualTo("Bob@Example.com");
        assertThat(stored).endsWith("Subject: traced\r\n\r\nbody\r\n");
        // Lines of a header field are at most 78 characters here (RFC 5322 §2.1.1).
        assertThat(stored.substring(0, received.end()).split("\r\n")).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(78));

        // Two recipients: no "for" (it would tell each the other's address), the same bytes for both.
        s.c("MAIL FROM:<> SMTPUTF8").s("250…").c("RCPT TO:<alice@example.com>").s("250…").c("RCPT TO:<bob@example.com>").s("250…");
        s.c("DATA").s("354…").raw("Subject: two\r\n\r\nx\r\n.\r\n").s("250…").s("250…");
        byte[] alice = stores.get("alice").messages("INBOX").getFirst();
        assertThat(stores.get("bob").messages("INBOX").get(1)).isEqualTo(alice);
        var shared = TraceFields.received(text(alice));
        assertThat(shared.group(6)).isNull();
        assertThat(shared.group(4)).as("RFC 6531 §3.7.3: SMTPUTF8 transactions say UTF8LMTP").isEqualTo("UTF8LMTP");
    }

    @Test
    void aLhloNameThatIsNoDomainIsNotCopiedIntoTheReceivedField() throws IOException {
        start(config());
        s.c("LHLO (evil);for<x@y>");
        lhloReply();
        s.c("MAIL FROM:<>").s("250…").c("RCPT TO:<bob@example.com>").s("250…").c("DATA").s("354…").raw("x\r\n.\r\n").s("250…");
        String stored = text(stores.get("bob").messages("INBOX").getFirst());
        assertThat(TraceFields.received(stored).group(1)).isEqualTo("unknown");
        assertThat(stored).doesNotContain("evil");
    }

    @Test
    void aDisabledAccountIsRefusedWithItsReason() throws IOException {
        startGreeted(config());
        s.c("MAIL FROM:<>").s("250…");
        s.c("RCPT TO:<gone@example.com>").s("550 5.2.1 <gone@example.com> Mailbox disabled: account gone is disabled");
        s.c("DATA").s("503 5.5.1 No valid recipients");
    }

    @Test
    void unixDomainSocket(@TempDir Path dir) throws IOException {
        Path socket = dir.resolve("lmtp.sock");
        server = new LmtpServer(config().withUnixSocket(socket).withListen(null), user -> (UserStore) stores.get(user), resolver);
        server.start();
        assertThat(server.boundAddress()).isNull();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n".getBytes(StandardCharsets.US_ASCII)));
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("220 ");
            String line;
            while ((line = in.readLine()).startsWith("250-")) { /* LHLO lines */ }
            assertThat(in.readLine()).startsWith("250 2.1.0");
            assertThat(in.readLine()).startsWith("250 2.1.5");
            assertThat(in.readLine()).startsWith("354");
            ch.write(ByteBuffer.wrap("hello\r\n.\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(in.readLine()).isEqualTo("250 2.0.0 <bob@example.com> Saved in INBOX as UID 1");
            assertThat(in.readLine()).startsWith("221");
        }
        assertThat(stores.get("bob").messages("INBOX")).hasSize(1);
        // No IP address to show: "from x", without TCP-info.
        var received = TraceFields.received(text(stores.get("bob").messages("INBOX").getFirst()));
        assertThat(received.group(1)).isEqualTo("x");
        assertThat(received.group(2)).isNull();
    }
}
