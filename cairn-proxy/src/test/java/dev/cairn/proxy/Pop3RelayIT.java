// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static dev.cairn.proxy.ImapRelayIT.play;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.Conversation;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** POP3 through a front-end (issue 21): the login is the front-end's, the maildrop the back-end's. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Pop3RelayIT {
    @TempDir Path dir;

    private final FixedLocator locator = new FixedLocator();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private TestNode a, b, front;

    @BeforeEach void start() throws Exception {
        a = TestNode.backend("a", dir);
        b = TestNode.backend("b", dir);
        locator.at("alice", "s1", 1, a.listeners());
        front = TestNode.frontend("front", dir,
                new RelayRoutes(locator, new RelayConfig(TestNode.SECRET, null, Duration.ofSeconds(5), Duration.ofSeconds(5)), meters));
    }

    @AfterEach void stop() {
        for (TestNode n : new TestNode[] {front, a, b}) if (n != null) n.close();
    }

    private static void deliver(TestNode node, String user, String body) throws Exception {
        play(node.imapPort(), "S~ \\* OK .*\nC: a LOGIN " + user + " pw-" + user + "\nS~ a OK .*\nC: b APPEND INBOX {"
                + body.length() + "+}\nC= " + body.replace("\r\n", "<CRLF>") + "\nC: \nS~ b OK .*");
    }

    @Test void aLoginThroughTheFrontEndRetrievesTheMessageOnTheBackend() throws Exception {
        deliver(a, "alice", "Subject: on a\r\n\r\nhello from a\r\n");
        play(front.pop3Port(), """
                S~ \\+OK .*
                C: USER alice
                S~ \\+OK .*
                C: PASS pw-alice
                S: +OK Logged in, 1 messages
                C: RETR 1
                S~ \\+OK .*
                S: Subject: on a
                S:\s
                S: hello from a
                S: .
                C: QUIT
                S~ \\+OK .*
                S: <closed>""");
        assertThat(meters.counter("cairn.proxy.relay.bytes", "direction", "to_client", "protocol", "pop3").count()).isPositive();
    }

    @Test void aMovedUserIsServedByTheOtherBackend() throws Exception {
        deliver(a, "alice", "Subject: on a\r\n\r\nx\r\n");
        locator.at("alice", "s1", 2, b.listeners());
        play(front.pop3Port(), "S~ \\+OK .*\nC: USER alice\nS~ \\+OK .*\nC: PASS pw-alice\nS: +OK Logged in, 0 messages\nC: QUIT\nS~ \\+OK .*");
        assertThat(b.store.hasUser("alice")).as("the maildrop opened is b's").isTrue();
        assertThat(front.store.hasUser("alice")).isFalse();
    }

    @Test void aUserWithNoMasterGetsSysTempAndMayTryAgain() throws Exception {
        play(front.pop3Port(), """
                S~ \\+OK .*
                C: AUTH PLAIN AGNhcm9sAHB3LWNhcm9s
                S~ -ERR \\[SYS/TEMP\\] .*
                C: USER alice
                S~ \\+OK .*
                C: PASS pw-alice
                S: +OK Logged in, 0 messages""");
        assertThat(meters.counter("cairn.proxy.route.failures", "protocol", "pop3", "reason", "nowhere").count()).isEqualTo(1);
    }

    /**
     * The back-end's own refusal reaches the client: another POP3 session holds alice's maildrop on
     * the back-end, so the relayed login gets the back-end's -ERR [IN-USE] (not [SYS/TEMP], which
     * says the server is in trouble), counts as no route failure, and the client may try again.
     */
    @Test void aMaildropLockedOnTheBackendGetsTheBackendsInUseThroughTheFrontEnd() throws Exception {
        try (Conversation holder = new Conversation(a.pop3Port())) {
            holder.run("S~ \\+OK .*\nC: USER alice\nS~ \\+OK .*\nC: PASS pw-alice\nS~ \\+OK Logged in.*");
            try (Conversation client = new Conversation(front.pop3Port())) {
                client.run("""
                        S~ \\+OK .*
                        C: USER alice
                        S~ \\+OK .*
                        C: PASS pw-alice
                        S: -ERR [IN-USE] Mailbox is locked by another POP3 session""");
                holder.run("C: QUIT\nS~ \\+OK .*");
                client.run("C: USER alice\nS~ \\+OK .*\nC: PASS pw-alice\nS: +OK Logged in, 0 messages\nC: QUIT\nS~ \\+OK .*");
            }
        }
        assertThat(meters.find("cairn.proxy.route.failures").counters()).as("route failures").allMatch(c -> c.count() == 0);
    }
}
