// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static dev.cairn.proxy.ImapRelayIT.play;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.tls.TlsContexts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front-end's link to a back-end off loopback: STARTTLS (IMAP) and STLS (POP3) before the
 * proxy login, the back-end's certificate checked against the cluster's trust. The test's
 * back-ends are on loopback, so the front-end is told every back-end needs TLS.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BackendTlsIT {
    @TempDir Path dir;

    private final FixedLocator locator = new FixedLocator();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private TestNode a, other, front;

    @BeforeEach void start() throws Exception {
        a = TestNode.backend("a", dir);
        other = TestNode.backend("other", dir); // only for a certificate the front-end must not accept from a
        locator.at("alice", "s1", 1, a.listeners());
    }

    private void frontTrusting(TestNode node) throws Exception {
        SSLContext trust = TlsContexts.clientTrusting(List.of(node.certificate(dir)));
        front = TestNode.frontend("front", dir, new RelayRoutes(locator,
                new RelayConfig(TestNode.SECRET, trust, Duration.ofSeconds(5), Duration.ofSeconds(5)), meters, address -> true));
    }

    @AfterEach void stop() {
        for (TestNode n : new TestNode[] {front, a, other}) if (n != null) n.close();
    }

    @Test void aLoginIsRelayedOverTlsToABackendTheClusterTrusts() throws Exception {
        frontTrusting(a);
        play(front.imapPort(), "S~ \\* OK .*\nC: a LOGIN alice pw-alice\nS~ a OK \\[CAPABILITY .*\\] Logged in"
                + "\nC: b APPEND INBOX {5+}\nC: hello\nS~ b OK .*\nC: c LOGOUT\nS* c OK .*");
        play(front.pop3Port(), "S~ \\+OK .*\nC: USER alice\nS~ \\+OK .*\nC: PASS pw-alice\nS: +OK Logged in, 1 messages\nC: QUIT\nS~ \\+OK .*");
        assertThat(a.inbox("alice")).isEqualTo(1);
    }

    @Test void aBackendWhoseCertificateTheClusterDoesNotTrustGetsNoLogin() throws Exception {
        frontTrusting(other);
        long start = System.nanoTime();
        play(front.imapPort(), "S~ \\* OK .*\nC: a LOGIN alice pw-alice\nS~ a NO \\[UNAVAILABLE\\] .*");
        play(front.pop3Port(), "S~ \\+OK .*\nC: USER alice\nS~ \\+OK .*\nC: PASS pw-alice\nS~ -ERR \\[SYS/TEMP\\] .*");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a certificate refused is not retried as a failover")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(meters.counter("cairn.proxy.route.failures", "protocol", "imap", "reason", "connect").count()).isEqualTo(1);
        assertThat(a.store.hasUser("alice")).as("the proxy password never reached a").isFalse();
    }
}
