// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Slows down password guessing: each failed login is answered only after a delay that doubles
 * with the failures counted for the user name and for the client address (whichever is worse),
 * like Dovecot's auth penalty (2 s doubling to a cap of 15 s). A success resets both counts;
 * a count is forgotten {@code expireAfter} after its last failure. Only failures wait, so a
 * guesser cannot lock the real user out. IPv6 clients count per /48 (one site), since one
 * machine can pick any address of its /64 and usually of its /48.
 *
 * <p>Memory is bounded: at most {@code maxEntries} counts, the least recently used dropped first.
 */
public final class AuthThrottle {
    /**
     * @param initialDelay delay after the first failure
     * @param maxDelay     cap of the doubling
     * @param expireAfter  a count is forgotten this long after its last failure
     * @param maxEntries   counts kept at most (users and addresses together)
     */
    public record Config(Duration initialDelay, Duration maxDelay, Duration expireAfter, int maxEntries) {
        public static final Config DEFAULT = new Config(Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofMinutes(5), 100_000);

        public Config {
            if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0) throw new IllegalArgumentException("delays");
            if (maxEntries < 2) throw new IllegalArgumentException("maxEntries " + maxEntries);
        }
    }

    /** How the throttle waits; tests inject one that records instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;

        Sleeper REAL = d -> Thread.sleep(d);
    }

    private record Failures(int count, Instant lastFailure) {}

    private final Config config;
    private final Clock clock;
    private final Sleeper sleeper;
    private final LinkedHashMap<String, Failures> entries;

    public AuthThrottle(Config config, Clock clock, Sleeper sleeper) {
        this.config = Objects.requireNonNull(config);
        this.clock = Objects.requireNonNull(clock);
        this.sleeper = Objects.requireNonNull(sleeper);
        int max = config.maxEntries();
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) { return size() > max; }
        };
    }

    public AuthThrottle() { this(Config.DEFAULT, Clock.systemUTC(), Sleeper.REAL); }

    /**
     * Records a failed login of {@code user} from {@code remote} and waits the penalty before
     * returning; call it before sending the failure reply. {@code user} may be null (e.g. an
     * undecodable SASL response): then only the address counts.
     *
     * @return the delay waited
     */
    public Duration failed(String user, InetAddress remote) throws InterruptedException {
        Duration delay;
        synchronized (this) {
            Instant now = clock.instant();
            int failures = Math.max(record(userKey(user), now), record(addressKey(remote), now));
            delay = delayAfter(failures);
        }
        if (!delay.isZero()) sleeper.sleep(delay);
        return delay;
    }

    /** Forgets the failures of this user and address after a successful login. */
    public synchronized void succeeded(String user, InetAddress remote) {
        if (user != null) entries.remove(userKey(user));
        entries.remove(addressKey(remote));
    }

    /** The delay the next failure would cost now (for logs and tests). */
    public synchronized Duration pendingDelay(String user, InetAddress remote) {
        Instant now = clock.instant();
        int failures = Math.max(current(userKey(user), now), current(addressKey(remote), now));
        return delayAfter(failures + 1);
    }

    /** Counts held (bounded by {@link Config#maxEntries()}). */
    public synchronized int size() { return entries.size(); }

    /** The penalty after {@code failures} failures: initial × 2^(failures-1), capped. */
    Duration delayAfter(int failures) {
        if (failures <= 0) return Duration.ZERO;
        Duration delay = config.initialDelay();
        for (int i = 1; i < failures && delay.compareTo(config.maxDelay()) < 0; i++) delay = delay.multipliedBy(2);
        return delay.compareTo(config.maxDelay()) > 0 ? config.maxDelay() : delay;
    }

    private int record(String key, Instant now) {
        if (key == null) return 0;
        int failures = current(key, now) + 1;
        entries.put(key, new Failures(failures, now));
        return failures;
    }

    private int current(String key, Instant now) {
        if (key == null) return 0;
        Failures e = entries.get(key);
        if (e == null) return 0;
        if (!now.isBefore(e.lastFailure().plus(config.expireAfter()))) {
            entries.remove(key);
            return 0;
        }
        return e.count();
    }

    private static String userKey(String user) {
        return user == null || user.isEmpty() ? null : "u:" + user.toLowerCase(Locale.ROOT);
    }

    static String addressKey(InetAddress address) {
        if (address == null) return null;
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address) {
            return "a:" + HexFormat.of().formatHex(bytes, 0, 6) + "::/48";
        }
        return "a:" + address.getHostAddress();
    }
}
