// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.protocol.relay.SessionRoute;
import dev.cairn.protocol.relay.SessionRoutes;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front-end's answer to "where does this session go" (issue 21): the {@link Locator} names
 * the master of the user's store; this node's own users are served here, others are logged in on
 * their master ({@link BackendLogin}) and relayed ({@link BackendSession}). A master that refuses
 * connections or answers NO [UNAVAILABLE] may be failing over: the login locates again and retries
 * until {@link RelayConfig#loginWait()} is spent, so a reconnect during a failover waits for the
 * new master instead of failing. A relayed session ends when the locator names its store's master
 * at a newer epoch ({@link RelayedStores}).
 */
public final class RelayRoutes implements SessionRoutes {
    private static final Logger log = LoggerFactory.getLogger(RelayRoutes.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(50), MAX_BACKOFF = Duration.ofSeconds(1);

    private final Locator locator;
    private final RelayConfig config;
    private final RelayMeters meters;
    private final BackendLogin logins;
    private final RelayedStores relayed;

    public RelayRoutes(Locator locator, RelayConfig config, MeterRegistry meters) {
        this(locator, config, meters, address -> !address.isLoopbackAddress());
    }

    /** With the test's choice of which back-ends are reached over TLS (theirs are all on loopback). */
    RelayRoutes(Locator locator, RelayConfig config, MeterRegistry meters, java.util.function.Predicate<InetAddress> needsTls) {
        this.locator = Objects.requireNonNull(locator);
        this.config = Objects.requireNonNull(config);
        this.meters = new RelayMeters(Objects.requireNonNull(meters));
        this.logins = new BackendLogin(config, this.meters, needsTls);
        this.relayed = new RelayedStores(locator);
    }

    @Override public SessionRoute route(String protocol, String user, InetAddress client, boolean secure) throws InterruptedException {
        if (!protocol.equals("imap") && !protocol.equals("pop3")) throw new IllegalArgumentException("no relay for " + protocol);
        Timer.Sample sample = Timer.start();
        try {
            return locateAndLogIn(protocol, user, client);
        } finally {
            sample.stop(meters.routeTime(protocol));
        }
    }

    private SessionRoute locateAndLogIn(String protocol, String user, InetAddress client) throws InterruptedException {
        long deadline = System.nanoTime() + config.loginWait().toNanos();
        Duration backoff = FIRST_BACKOFF;
        BackendLogin.Outcome.Retry last = null;
        while (true) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            switch (locator.locate(protocol, user, left)) {
                case Location.Here here -> {
                    return SessionRoute.LOCAL;
                }
                case Location.Nowhere nowhere -> {
                    // the locator waited what was left for a master; one that came and went counts as the last failure
                    meters.failed(protocol, last == null ? RelayMeters.Failure.NOWHERE : last.reason());
                    return new SessionRoute.Unavailable("no master for " + user + ": " + nowhere.reason()
                            + (last == null ? "" : " (before: " + last.detail() + ")"));
                }
                case Location.At at -> {
                    switch (logins.open(at.backend(), user, client)) {
                        case BackendLogin.Outcome.Open open -> {
                            relayed.follow(open.session(), at);
                            return new SessionRoute.Relayed(open.session());
                        }
                        case BackendLogin.Outcome.Fail fail -> {
                            meters.failed(protocol, fail.reason());
                            if (fail.reason() == RelayMeters.Failure.LOGIN_REFUSED) log.error("relay: {}", fail.detail());
                            return new SessionRoute.Unavailable(fail.detail());
                        }
                        case BackendLogin.Outcome.Declined declined -> {
                            return new SessionRoute.Unavailable(declined.detail(), declined.reply());
                        }
                        case BackendLogin.Outcome.Retry retry -> last = retry;
                    }
                }
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                meters.failed(protocol, last.reason());
                return new SessionRoute.Unavailable("the master of " + user + "'s store did not take the login within "
                        + config.loginWait().toMillis() + " ms: " + last.detail());
            }
            log.debug("relay: {} not reached, retrying: {}", user, last.detail());
            Thread.sleep(Math.min(backoff.toMillis(), Math.max(1, remaining / 1_000_000)));
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }
}
