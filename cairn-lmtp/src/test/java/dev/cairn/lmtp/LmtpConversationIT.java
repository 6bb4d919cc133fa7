// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.Limits;
import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import dev.cairn.testkit.Conversation;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
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
        s.run("S: 220 mx.test Cairn LMTP ready");
        return s;
    }

    Conversation startGreeted(LmtpConfig config) throws IOException {
        start(config);
        s.run("C: LHLO client.test\n" + LHLO_REPLY);
        return s;
    }

    /** The LHLO reply when STARTTLS is not offered. */
    static final String LHLO_REPLY = """
            S: 250-mx.test
            S: 250-PIPELINING
            S: 250-ENHANCEDSTATUSCODES
            S: 250-SIZE …
            S: 250-8BITMIME
            S: 250-BINARYMIME
            S: 250-CHUNKING
            S: 250 SMTPUTF8
            """;

    @AfterEach
    void stop() throws IOException {
        if (s != null) s.close();
        if (server != null) server.close();
    }

    static String text(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    @Test
    void deliveryToTwoUsersWithOneUnknownRecipient() throws IOException {
        startGreeted(config());
        s.run("""
                C: MAIL FROM:<sender@remote.example>
                S: 250 2.1.0 Sender OK
                C: RCPT TO:<alice@example.com>
                S: 250 2.1.5 <alice@example.com> Recipient OK
                C: RCPT TO:<nobody@example.com>
                S: 550 5.1.1 <nobody@example.com> User unknown: no address nobody@example.com
                C: RCPT TO:<bob@example.com>
                S: 250 2.1.5 <bob@example.com> Recipient OK
                C: DATA
                S: 354 Start mail input; end with <CRLF>.<CRLF>
                C= Subject: hi<CRLF><CRLF>..dot-stuffed<CRLF>bare LF<LF>last line<CRLF>.<CRLF>
                S: 250 2.0.0 <alice@example.com> Saved in INBOX as UID 1
                S: 250 2.0.0 <bob@example.com> Saved in INBOX as UID 1
                C: QUIT
                S: 221 2.0.0 mx.test closing connection
                S: <closed>
                """);
        String expected = "Return-Path: <sender@remote.example>\r\nSubject: hi\r\n\r\n.dot-stuffed\r\nbare LF\r\nlast line\r\n";
        assertThat(TraceFields.withoutReceived(text(stores.get("alice").messages("INBOX").getFirst()))).isEqualTo(expected);
        // Two recipients: no Delivered-To, so both copies are the same bytes (one body in the store).
        assertThat(stores.get("bob").messages("INBOX").getFirst()).isEqualTo(stores.get("alice").messages("INBOX").getFirst());
    }

    @Test
    void oneRecipientGetsDeliveredToAndDetailGoesToItsFolder() throws IOException {
        startGreeted(config());
        s.run("""
                C: MAIL FROM:<>
                S: 250 2.1.0 Sender OK
                C: RCPT TO:<alice+work@example.com>
                S: 250 2.1.5 <alice+work@example.com> Recipient OK
                C: DATA
                S: 354…
                C= x<CRLF>.<CRLF>
                S: 250 2.0.0 <alice+work@example.com> Saved in work as UID 1
                """);
        assertThat(TraceFields.withoutReceived(text(stores.get("alice").messages("work").getFirst())))
                .isEqualTo("Return-Path: <>\r\nDelivered-To: alice+work@example.com\r\nx\r\n");
        s.run("""
                # A detail without a folder of that name goes to INBOX.
                C: MAIL FROM:<>
                S: 250…
                C: RCPT TO:<alice+nosuch@example.com>
                S: 250…
                C: DATA
                S: 354…
                C= y<CRLF>.<CRLF>
                S: 250 2.0.0 <alice+nosuch@example.com> Saved in INBOX as UID 1
                # The address and a detail that falls back to INBOX name the same folder: one copy.
                C: MAIL FROM:<>
                S: 250…
                C: RCPT TO:<alice@example.com>
                S: 250…
                C: RCPT TO:<alice+nosuch@example.com>
                S: 250…
                C: DATA
                S: 354…
                C= z<CRLF>.<CRLF>
                S: 250 2.0.0 <alice@example.com> Saved in INBOX as UID 2
                S: 250 2.0.0 <alice+nosuch@example.com> Saved in INBOX as UID 2
                """);
        assertThat(stores.get("alice").messages("INBOX")).hasSize(2);
    }

    @Test
    void pipelinedTransactionWithMixedRecipients() throws IOException {
        startGreeted(config());
        s.run("""
                # Everything up to DATA in one write (RFC 2920), then the message after the 354.
                C: MAIL FROM:<a@remote.example> SIZE=30<CRLF>RCPT TO:<alice@example.com><CRLF>RCPT TO:<ghost@example.com><CRLF>\
                RCPT TO:<broken@example.com><CRLF>RCPT TO:<postmaster@example.com><CRLF>RCPT TO:<bob@example.com><CRLF>DATA
                S: 250 2.1.0 Sender OK
                S: 250 2.1.5 <alice@example.com> Recipient OK
                S: 550 5.1.1 <ghost@example.com> User unknown: no address ghost@example.com
                S: 451 4.3.0 <broken@example.com> Temporary lookup failure
                S: 250 2.1.5 <postmaster@example.com> Recipient OK
                S: 250 2.1.5 <bob@example.com> Recipient OK
                S: 354 Start mail input; end with <CRLF>.<CRLF>
                """);
        stores.get("bob").refuseWith = StoreException.Reason.UNAVAILABLE;
        s.run("""
                C: Subject: x<CRLF><CRLF>body<CRLF>.<CRLF>RSET<CRLF>NOOP
                # One reply per accepted recipient in RCPT order; postmaster is an alias of alice: one copy.
                S: 250 2.0.0 <alice@example.com> Saved in INBOX as UID 1
                S: 250 2.0.0 <postmaster@example.com> Saved in INBOX as UID 1
                S: 451 4.3.0 <bob@example.com> Mail store temporarily unavailable
                S: 250 2.0.0 OK
                S: 250 2.0.0 OK
                """);
        assertThat(stores.get("alice").messages("INBOX")).hasSize(1);
        assertThat(stores.get("bob").messages("INBOX")).isEmpty();
    }

    /**
     * Issue 20: a cluster master whose write lease lapsed after the append's own look (frozen in
     * between) does not send the 250: 451 for that recipient (the message is stored and may be
     * kept; the client retries), 250 for the other. Before, both were 250.
     */
    @Test
    void aDeliveryStoredAfterTheLeaseLapsedIsNotAcknowledged() throws IOException {
        startGreeted(config());
        stores.get("bob").lapseAfterAppend = true;
        s.run("""
                C: MAIL FROM:<a@remote.example><CRLF>RCPT TO:<alice@example.com><CRLF>RCPT TO:<bob@example.com><CRLF>DATA
                S: 250 2.1.0 Sender OK
                S: 250 2.1.5 <alice@example.com> Recipient OK
                S: 250 2.1.5 <bob@example.com> Recipient OK
                S: 354 Start mail input; end with <CRLF>.<CRLF>
                C: Subject: x<CRLF><CRLF>body<CRLF>.
                S: 250 2.0.0 <alice@example.com> Saved in INBOX as UID 1
                S: 451 4.3.0 <bob@example.com> Mail store temporarily unavailable
                """);
        assertThat(stores.get("bob").messages("INBOX")).hasSize(1);
    }

    /** A transaction for {@code rcpt} up to the 354 (the replies checked loosely). */
    static String upToData(String rcpt) {
        return """
                C: MAIL FROM:<>
                S: 250…
                C: RCPT TO:<%s>
                S: 250…
                C: DATA
                S: 354…
                """.formatted(rcpt);
    }

    @Test
    void quotaAnswersPermanentOrTemporaryAsConfigured() throws IOException {
        stores.get("alice").refuseWith = StoreException.Reason.OVER_QUOTA;
        startGreeted(config());
        s.run(upToData("alice@example.com") + """
                C= x<CRLF>.<CRLF>
                S: 552 5.2.2 <alice@example.com> Mailbox full
                """);
        s.close();
        server.close();
        startGreeted(config().withQuotaTemporary(true));
        s.run(upToData("alice@example.com") + """
                C= x<CRLF>.<CRLF>
                S: 452 4.2.2 <alice@example.com> Mailbox full
                """);
        stores.get("alice").refuseWith = StoreException.Reason.TOO_BIG;
        s.run(upToData("alice@example.com") + """
                C= x<CRLF>.<CRLF>
                S: 552 5.3.4 <alice@example.com> Message too big
                """);
    }

    @Test
    void sizeLimitDeclaredAndActual() throws IOException {
        startGreeted(config().withMaxMessageSize(100));
        s.run("""
                C: MAIL FROM:<> SIZE=101
                S: 552 5.3.4 Message size exceeds fixed maximum message size of 100 octets
                C: MAIL FROM:<> SIZE=100
                S: 250 2.1.0 Sender OK
                C: RCPT TO:<alice@example.com>
                S: 250…
                C: DATA
                S: 354…
                # 99 octets + CRLF = 101 > 100 (the limit is on the message as received, before added headers).
                C= %s<CRLF>.<CRLF>
                S: 552 5.3.4 <alice@example.com> Message too big
                """.formatted("a".repeat(99)) + upToData("alice@example.com") + """
                C= %s<CRLF>.<CRLF>
                S: 250 2.0.0 <alice@example.com>…
                """.formatted("a".repeat(98)));
        assertThat(stores.get("alice").messages("INBOX")).hasSize(1);
    }

    @Test
    void recipientLimitAtTheBoundary() throws IOException {
        startGreeted(config().withMaxRecipients(3));
        s.run("""
                C: MAIL FROM:<>
                S: 250…
                C: RCPT TO:<alice@example.com>
                S: 250…
                C: RCPT TO:<bob@example.com>
                S: 250…
                C: RCPT TO:<postmaster@example.com>
                S: 250…
                C: RCPT TO:<alice+work@example.com>
                S: 452 4.5.3 Too many recipients
                C: DATA
                S: 354…
                C= x<CRLF>.<CRLF>
                S: 250 2.0.0 <alice@example.com>…
                S: 250 2.0.0 <bob@example.com>…
                S: 250 2.0.0 <postmaster@example.com>…
                """);
    }

    @Test
    void commandLineLengthAtTheBoundary() throws IOException {
        int max = 100;
        startGreeted(config().withLimits(config().limits().withMaxLineLength(max)));
        s.run("""
                C: NOOP %s
                S: 250 2.0.0 OK
                C: NOOP %s
                S: 500 5.5.2 Line too long
                C: NOOP
                S: 250 2.0.0 OK
                """.formatted("x".repeat(max - 5), "x".repeat(max - 4)));
    }

    @Test
    void tooManyBadCommandsCloseTheConnection() throws IOException {
        startGreeted(config().withLimits(config().limits().withMaxBadCommands(3)));
        s.run("""
                C: FOO
                S: 500 5.5.2 Unknown command
                C: RCPT TO:<alice@example.com>
                S: 503 5.5.1 Need MAIL before RCPT
                C: HELO x
                S: 500 5.5.1 This is LMTP: say LHLO, not HELO
                C: BAR
                S: 500 5.5.2 Unknown command
                S: 421 4.7.0 mx.test Too many errors, closing connection
                S: <closed>
                """);
    }

    @Test
    void sequenceErrorsAndSimpleCommands() throws IOException {
        start(config());
        s.run("""
                C: MAIL FROM:<>
                S: 503 5.5.1 Send LHLO first
                C: NOOP
                S: 250 2.0.0 OK
                C: VRFY alice
                S: 252 2.5.0 Cannot VRFY, send some mail
                C: STARTTLS
                S: 502 5.5.1 STARTTLS not available
                C: LHLO client.test
                """ + LHLO_REPLY + """
                C: DATA
                S: 503 5.5.1 Need MAIL before DATA
                C: MAIL FROM:<>
                S: 250…
                C: MAIL FROM:<>
                S: 503 5.5.1 Nested MAIL command
                C: DATA
                S: 503 5.5.1 No valid recipients
                C: RCPT TO:<x>
                S: 550 5.1.1 <x> User unknown: no address x
                C: RSET
                S: 250 2.0.0 OK
                C: RCPT TO:<alice@example.com>
                S: 503 5.5.1 Need MAIL before RCPT
                C: MAIL FROM:<> BODY=BINARYMIME
                S: 250…
                C: RCPT TO:<alice@example.com>
                S: 250…
                C: DATA
                S: 503 5.5.1 BODY=BINARYMIME needs BDAT
                C: MAIL FROM:<> SMTPUTF8
                S: 503 5.5.1 Nested MAIL command
                C: RSET
                S: 250 2.0.0 OK
                C: MAIL FROM:<>
                S: 250…
                C: RCPT TO:<jösé@example.com>
                S: 553 5.6.7 Non-ASCII address needs SMTPUTF8
                C: QUIT
                S: 221 2.0.0 mx.test closing connection
                """);
    }

    @Test
    void bdatChunksAreStoredExactly() throws IOException {
        startGreeted(config());
        byte[] part1 = "Subject: bin\r\n\r\nline\nwith bare LF and \0 NUL\r\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] part2 = ".leading dot stays\r\n".getBytes(StandardCharsets.ISO_8859_1);
        s.run("""
                C: MAIL FROM:<s@r.example> BODY=BINARYMIME
                S: 250…
                C: RCPT TO:<alice@example.com>
                S: 250…
                C= BDAT %d<CRLF>
                """.formatted(part1.length));
        s.send(part1).run("""
                S: 250 2.0.0 %d octets received
                C: DATA
                S: 503 5.5.1 DATA after BDAT
                C= BDAT %d LAST<CRLF>
                """.formatted(part1.length, part2.length));
        s.send(part2).run("S: 250 2.0.0 <alice@example.com> Saved in INBOX as UID 1");
        assertThat(TraceFields.withoutReceived(text(stores.get("alice").messages("INBOX").getFirst())))
                .isEqualTo("Return-Path: <s@r.example>\r\nDelivered-To: alice@example.com\r\n" + new String(part1, StandardCharsets.ISO_8859_1) + ".leading dot stays\r\n");
        s.run("""
                # A BDAT out of a transaction is consumed and refused; the connection stays in sync.
                C= BDAT 5<CRLF>NOOP<LF>
                S: 503 5.5.1 Need MAIL before BDAT
                C: NOOP
                S: 250 2.0.0 OK
                """);
    }

    @Test
    void bdatOverTheSizeLimitFailsTheTransaction() throws IOException {
        startGreeted(config().withMaxMessageSize(10));
        s.run("""
                C: MAIL FROM:<>
                S: 250…
                C: RCPT TO:<alice@example.com>
                S: 250…
                C= BDAT 11 LAST<CRLF>xxxxxxxxxxx
                S: 552 5.3.4 Message size exceeds fixed maximum message size of 10 octets
                C= BDAT 1 LAST<CRLF>x
                S: 503 5.5.1 Need MAIL before BDAT
                """);
        assertThat(stores.get("alice").messages("INBOX")).isEmpty();
    }

    @Test
    void largeMessageIsSpooledToDiskAndTheSpoolIsCleanedUp() throws IOException {
        startGreeted(config().withMemoryThreshold(1024));
        StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
        for (int i = 0; i < 5000; i++) body.append("line ").append(i).append(" of a large message\r\n");
        s.run(upToData("alice@example.com"));
        s.send(body + ".\r\n").run("S: 250 2.0.0 <alice@example.com>…");
        assertThat(text(stores.get("alice").messages("INBOX").getFirst())).endsWith(body.toString());
        try (Stream<Path> left = Files.list(spool)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aSpoolFailureIsTemporary() throws IOException {
        // The spool directory is gone (think: disk full): the MTA must retry, nothing is stored.
        startGreeted(config().withMemoryThreshold(0).withSpoolDirectory(spool.resolve("missing")));
        s.run("""
                C: MAIL FROM:<>
                S: 250…
                C: RCPT TO:<alice@example.com>
                S: 250…
                C: RCPT TO:<bob@example.com>
                S: 250…
                C: DATA
                S: 354…
                C= x<CRLF>.<CRLF>
                S: 451 4.3.0 <alice@example.com> Temporary failure storing the message, try again later
                S: 451 4.3.0 <bob@example.com> Temporary failure storing the message, try again later
                C: NOOP
                S: 250 2.0.0 OK
                """);
        assertThat(stores.get("alice").messages("INBOX")).isEmpty();
    }

    @Test
    void dataLineTooLongIsRefusedPerRecipient() throws IOException {
        startGreeted(config());
        s.run(upToData("alice@example.com"));
        s.send("a".repeat((1 << 20) + 1) + "\r\n.\r\n").run("S: 554 5.6.0 <alice@example.com> Message has a line longer than 1048576 octets");
        assertThat(stores.get("alice").messages("INBOX")).isEmpty();
    }

    @Test
    void idleTimeoutSays421() throws IOException {
        start(config().withLimits(config().limits().withIdleTimeouts(Duration.ofMillis(300), Duration.ofMillis(300))));
        s.run("""
                S: 421 4.4.2 mx.test Idle timeout, closing connection
                S: <closed>
                """);
    }

    @Test
    void overTheConnectionLimit() throws IOException {
        start(config().withMaxConnections(1));
        try (Conversation second = new Conversation(server.boundAddress())) {
            second.run("""
                    S: 421 4.3.2 mx.test Too many connections, try again later
                    S: <closed>
                    """);
        }
    }

    @Test
    void startTlsDropsPipelinedCommands(@TempDir Path certs) throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(certs);
        start(config().withStartTls(cert.serverContext()));
        s.run("""
                C: LHLO client.test
                S: 250-mx.test
                S: 250-PIPELINING
                S: 250-ENHANCEDSTATUSCODES
                # SIZE is the configured maximum (64 MiB by default).
                S: 250-SIZE 67108864
                S: 250-8BITMIME
                S: 250-BINARYMIME
                S: 250-CHUNKING
                S: 250-SMTPUTF8
                S: 250 STARTTLS
                # The injected MAIL would open a transaction if it were executed.
                C: STARTTLS<CRLF>MAIL FROM:<injected@evil.example>
                S: 220 2.0.0 Ready to start TLS
                """);
        SSLContext client = TlsContexts.clientTrusting(List.of(cert.certificate()));
        SSLSocket ssl = (SSLSocket) client.getSocketFactory().createSocket(s.socket(), "localhost", s.socket().getPort(), true);
        ssl.startHandshake();
        s.use(ssl);
        s.run("""
                # After TLS: nothing remembered, no transaction open, and LHLO needed again (RFC 3207 §4.2).
                C: RCPT TO:<alice@example.com>
                S: 503 5.5.1 Need MAIL before RCPT
                C: MAIL FROM:<>
                S: 503 5.5.1 Send LHLO first
                C: LHLO client.test
                # no STARTTLS offered any more
                """ + LHLO_REPLY + """
                C: STARTTLS
                S: 503 5.5.1 TLS already active
                C: MAIL FROM:<>
                S: 250 2.1.0 Sender OK
                C: RCPT TO:<bob@example.com>
                S: 250…
                C: DATA
                S: 354…
                C= over TLS<CRLF>.<CRLF>
                S: 250…
                """);
        assertThat(TraceFields.received(text(stores.get("bob").messages("INBOX").getFirst())).group(4)).isEqualTo("LMTPS");
    }

    @Test
    void eachDeliveryGetsAReceivedFieldWithTheClientAddressAndTheOneRecipient() throws IOException {
        startGreeted(config());
        s.run("""
                C: MAIL FROM:<sender@remote.example>
                S: 250…
                C: RCPT TO:<Bob@Example.com>
                S: 250…
                C: DATA
                S: 354…
                C= Subject: traced<CRLF><CRLF>body<CRLF>.<CRLF>
                S: 250…
                """);
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

        s.run("""
                # Two recipients: no "for" (it would tell each the other's address), the same bytes for both.
                C: MAIL FROM:<> SMTPUTF8
                S: 250…
                C: RCPT TO:<alice@example.com>
                S: 250…
                C: RCPT TO:<bob@example.com>
                S: 250…
                C: DATA
                S: 354…
                C= Subject: two<CRLF><CRLF>x<CRLF>.<CRLF>
                S: 250…
                S: 250…
                """);
        byte[] alice = stores.get("alice").messages("INBOX").getFirst();
        assertThat(stores.get("bob").messages("INBOX").get(1)).isEqualTo(alice);
        var shared = TraceFields.received(text(alice));
        assertThat(shared.group(6)).isNull();
        assertThat(shared.group(4)).as("RFC 6531 §3.7.3: SMTPUTF8 transactions say UTF8LMTP").isEqualTo("UTF8LMTP");
    }

    @Test
    void aLhloNameThatIsNoDomainIsNotCopiedIntoTheReceivedField() throws IOException {
        start(config());
        s.run("C: LHLO (evil);for<x@y>\n" + LHLO_REPLY + upToData("bob@example.com") + """
                C= x<CRLF>.<CRLF>
                S: 250…
                """);
        String stored = text(stores.get("bob").messages("INBOX").getFirst());
        assertThat(TraceFields.received(stored).group(1)).isEqualTo("unknown");
        assertThat(stored).doesNotContain("evil");
    }

    @Test
    void aDisabledAccountIsRefusedWithItsReason() throws IOException {
        startGreeted(config());
        s.run("""
                C: MAIL FROM:<>
                S: 250…
                C: RCPT TO:<gone@example.com>
                S: 550 5.2.1 <gone@example.com> Mailbox disabled: account gone is disabled
                C: DATA
                S: 503 5.5.1 No valid recipients
                """);
    }

    @Test
    void unixDomainSocket(@TempDir Path dir) throws IOException {
        Path socket = dir.resolve("lmtp.sock");
        server = new LmtpServer(config().withUnixSocket(socket).withListen(null), user -> (UserStore) stores.get(user), resolver);
        server.start();
        assertThat(server.boundAddress()).isNull();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            new Conversation(Channels.newInputStream(ch), Channels.newOutputStream(ch)).run("""
                    C: LHLO x<CRLF>MAIL FROM:<><CRLF>RCPT TO:<bob@example.com><CRLF>DATA
                    S: 220 …
                    # the LHLO lines
                    S* 250 .*
                    S: 250 2.1.0…
                    S: 250 2.1.5…
                    S: 354…
                    C: hello<CRLF>.<CRLF>QUIT
                    S: 250 2.0.0 <bob@example.com> Saved in INBOX as UID 1
                    S: 221…
                    """);
        }
        assertThat(stores.get("bob").messages("INBOX")).hasSize(1);
        // No IP address to show: "from x", without TCP-info.
        var received = TraceFields.received(text(stores.get("bob").messages("INBOX").getFirst()));
        assertThat(received.group(1)).isEqualTo("x");
        assertThat(received.group(2)).isNull();
    }
}
