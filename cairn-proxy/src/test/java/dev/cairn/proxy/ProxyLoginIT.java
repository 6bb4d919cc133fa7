// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static dev.cairn.proxy.ImapRelayIT.play;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Network;
import dev.cairn.protocol.auth.ProxyLogin;
import dev.cairn.testkit.Conversation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A back-end's side of front-end logins (issue 21, must-show 5): a client that presents the
 * proxy's identity gets the normal refusal, counted by the throttle, unless it is a trusted peer
 * with the right HMAC for an existing, enabled user; and an accepted one is served here, never
 * routed on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyLoginIT {
    @TempDir Path dir;

    private static String plain(String authzid, String authcid, String password) {
        return Base64.getEncoder().encodeToString((authzid + "\0" + authcid + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String proxyPlain(String user) {
        return plain(user, ProxyLogin.IDENTITY, ProxyLogin.password(TestNode.SECRET, user));
    }

    /** IMAP AUTHENTICATE and POP3 AUTH with {@code sasl} are both refused by {@code node}, each counted. */
    private static void refusedOnBoth(TestNode node, String sasl) throws Exception {
        assertThat(node.throttle.size()).isZero();
        play(node.imapPort(), "S~ \\* OK .*\nC: a AUTHENTICATE PLAIN " + sasl + "\nS: a NO [AUTHENTICATIONFAILED] Authentication failed");
        assertThat(node.throttle.size()).as("the failure is counted by the throttle").isPositive();
        play(node.pop3Port(), "S~ \\+OK .*\nC: AUTH PLAIN " + sasl + "\nS: -ERR [AUTH] Authentication failed");
        assertThat(node.store.hasUser("alice")).isFalse();
    }

    @Test void aClientPresentingTheProxyIdentityFromAnUntrustedAddressIsRefused() throws Exception {
        // loopback is what the test has: this back-end trusts one other address only
        try (TestNode node = new TestNode("b", dir, List.of(Network.parse("127.0.0.3/32"))).start()) {
            refusedOnBoth(node, proxyPlain("alice"));
        }
    }

    @Test void aProxyLoginWithAWrongHmacIsRefused() throws Exception {
        try (TestNode node = TestNode.backend("b", dir)) {
            refusedOnBoth(node, plain("alice", ProxyLogin.IDENTITY, ProxyLogin.password("guessed".getBytes(StandardCharsets.UTF_8), "alice")));
        }
    }

    @Test void aProxyLoginForAnUnknownUserIsRefused() throws Exception {
        try (TestNode node = TestNode.backend("b", dir)) {
            refusedOnBoth(node, proxyPlain("zed"));
        }
    }

    @Test void aProxyLoginForADisabledUserIsRefused() throws Exception {
        try (TestNode node = TestNode.backend("b", dir)) {
            refusedOnBoth(node, proxyPlain(TestDirectory.DISABLED));
        }
    }

    @Test void theProxyPasswordOverLoginOrUserPassIsRefused() throws Exception {
        // LOGIN and USER/PASS carry no authorization identity: they meet the directory, which has no cairn:proxy
        try (TestNode node = TestNode.backend("b", dir)) {
            play(node.imapPort(), "S~ \\* OK .*\nC: a LOGIN cairn:proxy " + ProxyLogin.password(TestNode.SECRET, "alice")
                    + "\nS: a NO [AUTHENTICATIONFAILED] Authentication failed");
            play(node.pop3Port(), "S~ \\+OK .*\nC: USER cairn:proxy\nS~ \\+OK .*\nC: PASS " + ProxyLogin.password(TestNode.SECRET, "alice")
                    + "\nS: -ERR [AUTH] Authentication failed");
            assertThat(node.throttle.size()).isPositive();
        }
    }

    /**
     * The attack on the proxy tier: anyone who reaches a back-end fails logins as cairn:proxy, from
     * a few addresses. Counted against the account as well, those failures put every front-end
     * whose address had not logged in lately (a new one; every one after the back-end restarted or
     * took the store over) behind cairn:proxy's penalty, 4 s with three addresses and 15 s with
     * five. Counted per address, the attackers wait and a front-end's login waits for nothing.
     */
    @Test void aFloodOfBadProxyLoginsFromOtherAddressesDoesNotSlowAFrontEndsLogin() throws Exception {
        List<Duration> slept = new CopyOnWriteArrayList<>();
        try (TestNode node = new TestNode("b", dir, Network.LOOPBACK, AuthThrottle.Config.DEFAULT, slept::add).start()) {
            String bad = plain("alice", ProxyLogin.IDENTITY, ProxyLogin.password("guessed".getBytes(StandardCharsets.UTF_8), "alice"));
            for (String attacker : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
                for (int i = 0; i < 3; i++) {
                    try (Conversation c = new Conversation(connectFrom(attacker, node.imapPort()))) {
                        c.run("S~ \\* OK .*\nC: a AUTHENTICATE PLAIN " + bad + "\nS: a NO [AUTHENTICATIONFAILED] Authentication failed");
                    }
                }
            }
            assertThat(slept).as("the attackers' own penalties").isNotEmpty();
            slept.clear();

            // the front-end (127.0.0.1) has not logged in here before
            play(node.imapPort(), "S~ \\* OK .*\nC: a AUTHENTICATE PLAIN " + proxyPlain("alice") + "\nS~ a OK \\[CAPABILITY .*\\] Logged in");
            play(node.pop3Port(), "S~ \\+OK .*\nC: AUTH PLAIN " + proxyPlain("alice") + "\nS~ \\+OK Logged in.*\nC: QUIT\nS~ \\+OK .*");
            assertThat(slept).as("penalties the front-end's logins waited").isEmpty();
        }
    }

    /** A connection to this node's {@code port} from the loopback address {@code local} (127.0.0.0/8 is all loopback on Linux). */
    private static Socket connectFrom(String local, int port) throws Exception {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        return s;
    }

    @Test void aTrustedFrontEndsLoginIsServedHereAndNeverRoutedOn() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        try (TestNode node = new TestNode("b", dir, Network.LOOPBACK)) {
            node.imap.routes((protocol, user, client, secure) -> {
                asked.incrementAndGet();
                throw new AssertionError("a proxied login must not be routed");
            });
            node.pop3.routes((protocol, user, client, secure) -> {
                asked.incrementAndGet();
                throw new AssertionError("a proxied login must not be routed");
            });
            node.start();
            play(node.imapPort(), "S~ \\* OK .*\nC: i ID (\"x-originating-ip\" \"192.0.2.10\")\nS* i OK .*"
                    + "\nC: a AUTHENTICATE PLAIN " + proxyPlain("alice") + "\nS~ a OK \\[CAPABILITY .*\\] Logged in"
                    + "\nC: b APPEND INBOX {5+}\nC: hello\nS~ b OK .*");
            play(node.pop3Port(), "S~ \\+OK .*\nC: AUTH PLAIN " + proxyPlain("alice") + "\nS~ \\+OK Logged in, 1 messages"
                    + "\nC: QUIT\nS~ \\+OK .*");
            assertThat(node.inbox("alice")).isEqualTo(1);
            assertThat(node.throttle.size()).as("no failure").isZero();
        }
        assertThat(asked).hasValue(0);
    }
}
