// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import dev.cairn.lmtp.LmtpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LMTP proxy over real sockets: a front LmtpServer ({@link LmtpProxy}) locating recipients
 * with a {@link FixedLocator} and three back-end LmtpServers on RocksDB slots. RFC 2033 §4.2: one
 * reply per recipient, in RCPT order, whatever back-end answered it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LmtpProxyIT {
    static final String BODY = "Subject: spread\r\n\r\nOne body for three stores.\r\n.leading dot\r\n";
    @TempDir Path dir;
    LmtpBackEnds cluster;

    @BeforeEach
    void start() throws IOException {
        cluster = new LmtpBackEnds(dir, 3);
    }

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    /** u0..u(n-1): every fourth served here, the others spread over the back-ends. */
    List<String> spread(int n) {
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String user = "u" + i;
            if (i % 4 == 3) cluster.locator.here(user, "front");
            else cluster.locator.at(user, "s" + (i % 3), 1, cluster.backends.get(i % 3));
            addresses.add(user + "@example.com");
        }
        return addresses;
    }

    /** One transaction: RCPT replies and, when some RCPT was accepted, the replies after DATA. */
    record Transaction(List<String> rcptReplies, List<String> dataReplies) {
        /** Each recipient's final reply: its RCPT reply if refused, else its DATA reply. */
        List<String> finals() {
            List<String> out = new ArrayList<>();
            int next = 0;
            for (String r : rcptReplies) out.add(r.startsWith("250") ? dataReplies.get(next++) : r);
            return out;
        }
    }

    static Transaction send(int port, List<String> addresses, String body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            assertThat(in.readLine()).startsWith("220 ");
            out.write("LHLO client.test\r\n".getBytes(StandardCharsets.US_ASCII));
            while (in.readLine().startsWith("250-")) {
                // the extensions
            }
            StringBuilder pipelined = new StringBuilder("MAIL FROM:<sender@example.org>\r\n");
            for (String a : addresses) pipelined.append("RCPT TO:<").append(a).append(">\r\n");
            out.write(pipelined.toString().getBytes(StandardCharsets.UTF_8));
            assertThat(in.readLine()).startsWith("250 2.1.0");
            List<String> rcpt = new ArrayList<>();
            for (int i = 0; i < addresses.size(); i++) rcpt.add(in.readLine());
            List<String> data = new ArrayList<>();
            long accepted = rcpt.stream().filter(r -> r.startsWith("250")).count();
            if (accepted > 0) {
                out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).startsWith("354");
                out.write((body.replace("\r\n.", "\r\n..") + ".\r\n").getBytes(StandardCharsets.UTF_8));
                for (int i = 0; i < accepted; i++) data.add(in.readLine());
            }
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("221");
            return new Transaction(rcpt, data);
        }
    }

    /** Which slot holds user i's copies: the back-end's, or the front's for those served here. */
    dev.cairn.store.SlotStore slotOf(int i) {
        return i % 4 == 3 ? cluster.frontSlot : cluster.slots.get(i % 3);
    }

    @Test
    void hundredRecipientsOverThreeBackEndsAndTheFrontGetOneReplyEachInOrderAndOneCopyEach() throws Exception {
        List<String> addresses = spread(100);
        Transaction t = send(cluster.frontPort(), addresses, BODY);
        assertThat(t.rcptReplies()).allSatisfy(r -> assertThat(r).startsWith("250 2.1.5"));
        List<String> finals = t.finals();
        assertThat(finals).hasSize(100);
        for (int i = 0; i < 100; i++) {
            assertThat(finals.get(i)).as("recipient %d", i).startsWith("250 2.0.0 <" + addresses.get(i) + ">");
            List<String> copies = LmtpBackEnds.messages(slotOf(i), "u" + i);
            assertThat(copies).as("u%d's copies", i).hasSize(1);
            assertThat(copies.getFirst()).contains("Return-Path: <sender@example.org>").endsWith(BODY);
            for (var other : cluster.slots) if (other != slotOf(i)) assertThat(other.hasUser("u" + i)).isFalse();
        }
        assertThat(LmtpBackEnds.messages(cluster.slots.get(0), "u0").getFirst()).as("the front's trace field travels")
                .contains("by front.test").contains("by back0.test");
        assertThat(cluster.meters.get("cairn.proxy.lmtp.recipients").tag("node", "n1").tag("class", "2xx").counter().count())
                .isEqualTo(25);
        assertThat(cluster.meters.get("cairn.proxy.lmtp.forward").tag("node", "n2").timer().count()).isEqualTo(1);
    }

    @Test
    void aBackEndThatIsDownTempfailsOnlyItsOwnRecipients() throws Exception {
        List<String> addresses = spread(12);
        cluster.servers.get(2).close(); // its port now refuses connections
        List<String> finals = send(cluster.frontPort(), addresses, BODY).finals();
        for (int i = 0; i < 12; i++) {
            if (i % 4 != 3 && i % 3 == 2) assertThat(finals.get(i)).as("recipient %d", i).startsWith("451 4.3.0 <" + addresses.get(i) + ">");
            else assertThat(finals.get(i)).as("recipient %d", i).startsWith("250 ");
        }
    }

    @Test
    void aBackEndsTemporaryRefusalOfOneRecipientReachesOnlyThatRecipient() throws Exception {
        List<String> addresses = new ArrayList<>(spread(6));
        cluster.locator.at("full", "s1", 1, cluster.backends.get(1));
        addresses.add(2, "full@example.com");
        List<String> finals = send(cluster.frontPort(), addresses, BODY).finals();
        assertThat(finals.get(2)).startsWith("452 4.2.2");
        for (int i = 0; i < finals.size(); i++) if (i != 2) assertThat(finals.get(i)).as("recipient %d", i).startsWith("250 ");
        assertThat(LmtpBackEnds.messages(cluster.slots.get(1), "u1")).hasSize(1);
    }

    @Test
    void aBackEndThatDiesAfterDataTempfailsItsRecipientsAndTheOthersAreDelivered() throws Exception {
        try (FakeBackEnd dying = new FakeBackEnd("220 dying.test ready", false)) {
            List<String> addresses = spread(6);
            Backend dead = new Backend("dying", "lmtp", "127.0.0.1", dying.port());
            cluster.locator.at("v1", "s9", 1, dead).at("v2", "s9", 1, dead);
            addresses.add(1, "v1@example.com");
            addresses.add("v2@example.com");
            List<String> finals = send(cluster.frontPort(), addresses, BODY).finals();
            assertThat(dying.bodies.get()).as("the body reached the dying back-end").isEqualTo(1);
            assertThat(finals.get(1)).startsWith("451 4.3.0 <v1@example.com>");
            assertThat(finals.getLast()).startsWith("451 4.3.0 <v2@example.com>");
            for (int i = 0; i < finals.size(); i++) {
                if (i != 1 && i != finals.size() - 1) assertThat(finals.get(i)).as("recipient %d", i).startsWith("250 ");
            }
        }
    }

    @Test
    void aBackEndThatGreetsWith421TempfailsItsRecipients() throws Exception {
        try (FakeBackEnd busy = new FakeBackEnd("421 4.3.2 busy.test Too many connections, try again later", false)) {
            spread(1);
            cluster.locator.at("v1", "s9", 1, new Backend("busy", "lmtp", "127.0.0.1", busy.port()));
            List<String> finals = send(cluster.frontPort(), List.of("v1@example.com", "u0@example.com"), BODY).finals();
            assertThat(finals.get(0)).startsWith("451 4.3.0 <v1@example.com>");
            assertThat(finals.get(1)).startsWith("250 ");
        }
    }

    @Test
    void aBackEndThatHangsAfterDataIsCutAtTheReplyTimeoutWith451() throws Exception {
        try (FakeBackEnd hanging = new FakeBackEnd("220 hanging.test ready", true);
             LmtpServer front = new LmtpServer(LmtpBackEnds.config(dir, "front2"), LmtpProxy.NO_LOCAL_STORE,
                     new RelayingRecipients(LmtpBackEnds.DIRECTORY, cluster.locator, Duration.ZERO))) {
            RelayConfig relay = new RelayConfig(new byte[32], null, Duration.ofSeconds(5), RelayConfig.DEFAULT_LOGIN_WAIT);
            front.forwarder(new LmtpForwarder(relay, "front2.test", new SimpleMeterRegistry(), Duration.ofMillis(500)));
            front.start();
            cluster.locator.at("v1", "s9", 1, new Backend("hanging", "lmtp", "127.0.0.1", hanging.port()));
            long start = System.nanoTime();
            List<String> finals = send(front.boundAddress().getPort(), List.of("v1@example.com"), BODY).finals();
            assertThat(finals).singleElement().asString().startsWith("451 4.3.0 <v1@example.com>");
            assertThat(hanging.bodies.get()).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        }
    }

    /**
     * Enough LMTP to take a whole transaction after {@code greeting}, then, where the replies
     * should be, a close (or, with {@code hang}, silence until the test ends).
     */
    static final class FakeBackEnd implements AutoCloseable {
        final ServerSocket listener = new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress());
        final AtomicInteger bodies = new AtomicInteger();
        final java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);

        FakeBackEnd(String greeting, boolean hang) throws IOException {
            Thread.ofVirtual().start(() -> serve(greeting, hang));
        }

        int port() { return listener.getLocalPort(); }

        private void serve(String greeting, boolean hang) {
            try (Socket s = listener.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                OutputStream out = s.getOutputStream();
                out.write((greeting + "\r\n").getBytes(StandardCharsets.US_ASCII));
                if (!greeting.startsWith("220")) return;
                for (String line; (line = in.readLine()) != null; ) {
                    String reply = line.startsWith("LHLO") ? "250-fake.test\r\n250 PIPELINING\r\n"
                            : line.equals("DATA") ? "354 go\r\n" : "250 2.0.0 OK\r\n";
                    out.write(reply.getBytes(StandardCharsets.US_ASCII));
                    if (line.equals("DATA")) {
                        while (!".".equals(line)) line = in.readLine();
                        bodies.incrementAndGet();
                        if (hang) end.await();
                        return;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the test is over
            }
        }

        @Override public void close() throws IOException {
            end.countDown();
            listener.close();
        }
    }

    @Test
    void anUnknownRecipientIsRefusedAtTheFrontAndNeverForwarded() throws Exception {
        spread(1);
        Transaction t = send(cluster.frontPort(), List.of("ghost@example.com", "u0@example.com"), BODY);
        assertThat(t.rcptReplies().getFirst()).startsWith("550 5.1.1 <ghost@example.com>");
        assertThat(t.finals().get(1)).startsWith("250 ");
        assertThat(cluster.forwardedRecipients()).as("only u0 went to a back-end").isEqualTo(1);
        for (var slot : cluster.slots) assertThat(slot.hasUser("ghost")).isFalse();
    }

    @Test
    void aRecipientWhoseStoreHasNoMasterIsDeferredAtRcpt() throws Exception {
        spread(2);
        cluster.locator.remove("u1");
        Transaction t = send(cluster.frontPort(), List.of("u0@example.com", "u1@example.com"), BODY);
        assertThat(t.rcptReplies().get(1)).startsWith("451 4.3.0 <u1@example.com>");
        assertThat(t.finals().getFirst()).startsWith("250 ");
    }

    @Test
    void anAddressGivenTwiceIsForwardedOnceAndAnsweredTwice() throws Exception {
        spread(1);
        Transaction t = send(cluster.frontPort(), List.of("u0@example.com", "u0@example.com"), BODY);
        assertThat(t.finals()).hasSize(2).allSatisfy(r -> assertThat(r).startsWith("250 2.0.0 <u0@example.com>"));
        assertThat(LmtpBackEnds.messages(cluster.slots.get(0), "u0")).hasSize(1);
        assertThat(cluster.forwardedRecipients()).isEqualTo(1);
    }

    @Test
    void aBinaryMimeMessageToAnSmtputf8AddressIsForwardedByBdatOctetForOctet() throws Exception {
        cluster.locator.at("j\u00f6", "s1", 1, cluster.backends.get(1));
        // In a BDAT chunk nothing is special: a lone "." line, a bare CR, a NUL, no final CRLF.
        byte[] body = "Subject: bin\r\n\r\n.\r\nraw\rbytes\u0000\r\n..end".getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", cluster.frontPort())) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            out.write("LHLO client.test\r\n".getBytes(StandardCharsets.US_ASCII));
            while (in.readLine().startsWith("250-")) {
                // the extensions
            }
            out.write(("MAIL FROM:<s\u00e9@example.org> BODY=BINARYMIME SMTPUTF8\r\nRCPT TO:<j\u00f6@example.com>\r\nBDAT "
                    + body.length + " LAST\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(body);
            assertThat(in.readLine()).startsWith("250 2.1.0");
            assertThat(in.readLine()).startsWith("250 2.1.5");
            assertThat(in.readLine()).startsWith("250 2.0.0 <j\u00f6@example.com>");
        }
        List<String> copies = LmtpBackEnds.messages(cluster.slots.get(1), "j\u00f6");
        assertThat(copies).singleElement().asString().startsWith("Return-Path: <s\u00e9@example.org>")
                .endsWith(new String(body, StandardCharsets.UTF_8));
    }
}
