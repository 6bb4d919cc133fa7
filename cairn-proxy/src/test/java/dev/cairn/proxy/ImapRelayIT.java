// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.Conversation;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * IMAP through a front-end (issue 21): a front ImapServer whose routes are {@link RelayRoutes}
 * over a {@link FixedLocator}, two back-end ImapServers on RocksDB slots, all in-process over
 * real sockets. The login is the front-end's; everything after it is the back-end's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ImapRelayIT {
    @TempDir Path dir;

    private final FixedLocator locator = new FixedLocator();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private TestNode a, b, front;

    @BeforeEach void start() throws Exception {
        a = TestNode.backend("a", dir);
        b = TestNode.backend("b", dir);
        locator.at("alice", "s1", 1, a.listeners()).at("bob", "s2", 1, b.listeners());
        front = TestNode.frontend("front", dir, routes(Duration.ofSeconds(10)));
    }

    private RelayRoutes routes(Duration loginWait) {
        return new RelayRoutes(locator, new RelayConfig(TestNode.SECRET, null, Duration.ofSeconds(5), loginWait), meters);
    }

    @AfterEach void stop() {
        for (TestNode n : new TestNode[] {front, a, b}) if (n != null) n.close();
    }

    @Test void aLoginThroughTheFrontEndLandsOnTheMasterOfTheUsersStoreOnly() throws Exception {
        play(front.imapPort(), """
                S~ \\* OK .*
                C: a LOGIN alice pw-alice
                S~ a OK \\[CAPABILITY .*\\] Logged in
                C: b APPEND INBOX {5+}
                C: hello
                S~ b OK .*APPEND completed
                C: c LOGOUT
                S: * BYE Logging out
                S: c OK LOGOUT completed
                S: <closed>""");
        assertThat(a.inbox("alice")).isEqualTo(1);
        assertThat(b.inbox("alice")).isZero();
        assertThat(front.store.hasUser("alice")).as("the front-end holds no mail of a relayed user").isFalse();
    }

    @Test void commandsPipelinedBehindTheLoginInOnePacketReachTheBackend() throws Exception {
        play(front.imapPort(), """
                S~ \\* OK .*
                C: a LOGIN bob pw-bob<CRLF>b CREATE Pipelined<CRLF>c SELECT Pipelined<CRLF>d LOGOUT
                S~ a OK \\[CAPABILITY .*\\] Logged in
                S~ b OK .*CREATE completed
                S* c OK .*
                S: * BYE Logging out
                S: d OK LOGOUT completed""");
        assertThat(b.store.user("bob").mailbox("Pipelined")).isPresent();
    }

    @Test void compressDeflatePassesThroughTheRelay() throws Exception {
        try (Conversation c = new Conversation(front.imapPort())) {
            c.run("""
                    S~ \\* OK .*
                    C: a LOGIN alice pw-alice
                    S~ a OK .*
                    C: b COMPRESS DEFLATE
                    S: b OK DEFLATE active""");
            // RFC 4978: raw DEFLATE both ways from here; the back-end compresses, the front-end only copies
            Conversation deflated = new Conversation(
                    new InflaterInputStream(c.socket().getInputStream(), new Inflater(true)),
                    new DeflaterOutputStream(c.socket().getOutputStream(), new Deflater(Deflater.DEFAULT_COMPRESSION, true), true));
            deflated.run("""
                    C: c CREATE Squeezed
                    S~ c OK .*CREATE completed
                    C: d NOOP
                    S: d OK NOOP completed""");
        }
        assertThat(a.store.user("alice").mailbox("Squeezed")).isPresent();
    }

    @Test void idleThroughTheRelayHearsADeliveryOnTheBackend() throws Exception {
        try (Conversation idling = new Conversation(front.imapPort())) {
            idling.run("""
                    S~ \\* OK .*
                    C: a LOGIN alice pw-alice
                    S~ a OK .*
                    C: b SELECT INBOX
                    S* b OK .*
                    C: c IDLE
                    S: + idling""");
            play(a.imapPort(), """
                    S~ \\* OK .*
                    C: a LOGIN alice pw-alice
                    S~ a OK .*
                    C: b APPEND INBOX {5+}
                    C: hello
                    S~ b OK .*""");
            idling.run("""
                    S: * 1 EXISTS
                    S* .*
                    C: DONE
                    S* c OK IDLE terminated""");
        }
    }

    @Test void theBackendsByeUnavailableReachesTheClientWhenItsStoreMoves() throws Exception {
        String reason = "store s1 moved to another master (epoch 2)";
        try (Conversation c = new Conversation(front.imapPort())) {
            c.run("""
                    S~ \\* OK .*
                    C: a LOGIN alice pw-alice
                    S~ a OK .*
                    C: b SELECT INBOX
                    S* b OK .*""");
            a.store.replication().fence(reason);
            c.run("S: * BYE [UNAVAILABLE] " + reason + "\nS: <closed>");
        }
    }

    /**
     * A back-end frozen or cut off would hold its relayed sessions until the client gave up: when
     * the locator names the store's master at a newer epoch the front-end closes them (no BYE: the
     * relay cannot tell where a response ends), and the client's next login lands on the new master.
     * A change that leaves a store's master as it was ends none of its sessions.
     */
    @Test void aSessionRelayedToAStoresOldMasterIsClosedWhenTheLocatorNamesANewerEpoch() throws Exception {
        try (Conversation alice = new Conversation(front.imapPort()); Conversation bob = new Conversation(front.imapPort())) {
            alice.run("""
                    S~ \\* OK .*
                    C: a LOGIN alice pw-alice
                    S~ a OK .*
                    C: b SELECT INBOX
                    S* b OK .*
                    C: c IDLE
                    S: + idling""");
            bob.run("S~ \\* OK .*\nC: a LOGIN bob pw-bob\nS~ a OK .*");
            locator.at("bob", "s2", 1, b.listeners()); // a change, but s1's master is as it was
            alice.run("C: DONE\nS* c OK IDLE terminated\nC: d IDLE\nS: + idling");
            locator.at("alice", "s1", 2, b.listeners());
            alice.run("S: <closed>");
            bob.run("C: b NOOP\nS* b OK .*");
        }
        appendThroughFront("alice");
        assertThat(b.inbox("alice")).isEqualTo(1);
        assertThat(a.inbox("alice")).isZero();
    }

    @Test void aUserMovedInTheLocatorLogsInOnTheOtherBackendNextTime() throws Exception {
        appendThroughFront("alice");
        locator.at("alice", "s2", 2, b.listeners());
        appendThroughFront("alice");
        assertThat(a.inbox("alice")).isEqualTo(1);
        assertThat(b.inbox("alice")).isEqualTo(1);
    }

    @Test void aUserWithNoMasterGetsUnavailableAndMayLogInAgain() throws Exception {
        play(front.imapPort(), """
                S~ \\* OK .*
                C: a LOGIN carol pw-carol
                S~ a NO \\[UNAVAILABLE\\] .*
                C: b NOOP
                S: b OK NOOP completed
                C: c LOGIN bob pw-bob
                S~ c OK .*""");
        assertThat(meters.counter("cairn.proxy.route.failures", "protocol", "imap", "reason", "nowhere").count()).isEqualTo(1);
    }

    @Test void aLoginDuringAFailoverWaitsForTheNextMaster() throws Exception {
        locator.at("alice", "s1", 1, new Backend("gone", "imap", "127.0.0.1", closedPort()));
        Thread failover = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(500); // the old master refuses connections meanwhile
            } catch (InterruptedException e) {
                return;
            }
            locator.at("alice", "s1", 2, a.listeners());
        });
        long start = System.nanoTime();
        appendThroughFront("alice");
        failover.join();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        assertThat(a.inbox("alice")).isEqualTo(1);
    }

    @Test void aBackendThatStaysDownPastTheLoginWaitIsUnavailable() throws Exception {
        front.close();
        front = TestNode.frontend("front2", dir, routes(Duration.ofMillis(300)));
        locator.at("alice", "s1", 1, new Backend("gone", "imap", "127.0.0.1", closedPort()));
        play(front.imapPort(), """
                S~ \\* OK .*
                C: a LOGIN alice pw-alice
                S~ a NO \\[UNAVAILABLE\\] .*""");
        assertThat(meters.counter("cairn.proxy.route.failures", "protocol", "imap", "reason", "connect").count()).isEqualTo(1);
    }

    @Test void aBackendOffLoopbackIsNeverSentTheProxyPasswordInClear() throws Exception {
        // no TLS to back-ends configured: refused before any connection is opened (192.0.2.0/24 is never reached)
        locator.at("alice", "s1", 1, new Backend("far", "imap", "192.0.2.1", 143));
        long start = System.nanoTime();
        play(front.imapPort(), """
                S~ \\* OK .*
                C: a LOGIN alice pw-alice
                S~ a NO \\[UNAVAILABLE\\] .*""");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not retried: a configuration, not a failover")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(meters.counter("cairn.proxy.route.failures", "protocol", "imap", "reason", "connect").count()).isEqualTo(1);
    }

    @Test void aRelayedSessionIsCountedWhileOpenAndItsBytesBothWays() throws Exception {
        try (Conversation c = new Conversation(front.imapPort())) {
            c.run("S~ \\* OK .*\nC: a LOGIN alice pw-alice\nS~ a OK .*\nC: b NOOP\nS: b OK NOOP completed");
            assertThat(meters.get("cairn.proxy.backend.connections").tags("node", "a", "protocol", "imap").gauge().value()).isEqualTo(1);
            c.run("C: c LOGOUT\nS* c OK .*\nS: <closed>");
        }
        dev.cairn.testkit.Eventually.eventually(Duration.ofSeconds(10), () -> assertThat(
                meters.get("cairn.proxy.backend.connections").tags("node", "a", "protocol", "imap").gauge().value()).isZero());
        // "b NOOP" and "c LOGOUT" went up; their answers came down
        assertThat(meters.counter("cairn.proxy.relay.bytes", "direction", "to_backend", "protocol", "imap").count())
                .isEqualTo("b NOOP\r\nc LOGOUT\r\n".length());
        assertThat(meters.counter("cairn.proxy.relay.bytes", "direction", "to_client", "protocol", "imap").count())
                .isEqualTo("b OK NOOP completed\r\n* BYE Logging out\r\nc OK LOGOUT completed\r\n".length());
        assertThat(meters.get("cairn.proxy.login.route").tags("protocol", "imap").timer().count()).isEqualTo(1);
    }

    private void appendThroughFront(String user) throws IOException {
        play(front.imapPort(), "S~ \\* OK .*\nC: a LOGIN " + user + " pw-" + user + "\nS~ a OK .*"
                + "\nC: b APPEND INBOX {5+}\nC: hello\nS~ b OK .*\nC: c LOGOUT\nS* c OK .*");
    }

    static void play(int port, String script) throws IOException {
        try (Conversation c = new Conversation(port)) {
            c.run(script);
        }
    }

    /** A port nothing listens on (bound, then closed): connections to it are refused. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
