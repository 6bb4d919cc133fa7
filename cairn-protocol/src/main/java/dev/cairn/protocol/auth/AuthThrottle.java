// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Slows down password guessing across connections and protocols: one per node, shared by IMAP
 * and POP3. Every login runs through {@link #check}, which decides when (and whether) the
 * password is verified at all, runs the verification, counts the outcome and logs it
 * ({@link AuthLog}).
 *
 * <p><b>Per address.</b> Failures are counted per client address (IPv6 per /48: one machine can
 * pick any address of its /64 and usually of its /48). Once an address has failed, its attempts
 * run one at a time, in arrival order, and each waits out the address's penalty <em>before</em>
 * its password is verified: 2 s after the first failure, doubling to a cap of 15 s, like
 * Dovecot's auth penalty. So a thousand parallel connections from a guessing address guess no
 * faster than one. A queued attempt that could not be verified within {@link Config#maxWait()}
 * is refused unchecked ({@link AuthResult.Reason#TEMPORARY_FAILURE}: IMAP NO [UNAVAILABLE], POP3
 * -ERR [SYS/TEMP]) and not counted; waiting, not refusing at once, because an immediate refusal
 * would let a flood of connections spin on cheap refusals (CPU for nobody) and would turn away a
 * user whose right password arrives a moment before the penalty ends.
 *
 * <p>An address with no recent failure is not queued: its attempts are checked concurrently, as
 * many as there are check slots (Dovecot too penalizes only addresses that failed). Many users
 * share one address: a webmail front-end opening a connection per page, an office behind NAT, a
 * proxy; one at a time, each behind the previous one's Argon2id check, made their logins wait in
 * line (200 clients on one address: IMAP LOGIN p50 35 ms before the gate, 105 ms with it). The
 * burst is bounded: an ungated attempt looks at its address again once it holds its check slot,
 * and if the address failed meanwhile it gives the slot back and queues like the rest; an outcome
 * is counted before its slot is given back. So a flood from a fresh address gets at most
 * {@link Config#maxConcurrentChecks()} guesses before the penalty applies.
 *
 * <p><b>Per account.</b> A guesser spread over many addresses is slowed per account (the login
 * name as sent, case-folded): the account remembers which addresses failed for it recently. An
 * attempt from an address that has not logged in successfully as that account within
 * {@link Config#trustFor()}, while some <em>other</em> address failed for it, goes through the
 * account's gate: one such attempt at a time, each waiting the account penalty, 0 s for one
 * other failing address (one address is already slowed by its own penalty), then 2, 4, 8 and
 * 15 s as more addresses fail. Addresses the user logged in from keep logging in unhindered; from
 * a fresh address the user is slowed (at most one penalty when the addresses guessing have all
 * failed before: a fresh address goes ahead of those), never locked out. A success forgets the
 * address's failures only when they were all for that account, so logging into one's own
 * account does not reset a penalty earned guessing someone else's. A front-end's proxy login
 * ({@link ProxyLogin}) is counted per address only ({@link Attempt#perAccount()}): every front-end
 * logs in as the one identity {@code cairn:proxy} with an HMAC no one guesses, so an account
 * penalty there would slow no guesser, only let anyone who reaches the node put the whole proxy
 * tier behind it.
 *
 * <p><b>Verification.</b> The password check (Argon2id, tens of milliseconds of CPU and 19 MiB)
 * runs on {@link Config#maxConcurrentChecks()} platform threads of its own, never on a virtual
 * thread's carrier, so a flood of checks cannot stall the sessions. Attempts that waited a
 * penalty queue behind those that did not and never take the last free check slot.
 *
 * <p>No user enumeration: an unknown name is counted, gated and logged exactly like a known
 * one; the {@link Authenticator} answers both in the same time.
 *
 * <p>Memory is bounded: at most {@code maxEntries} failure counts (addresses and accounts
 * together, the least recently used dropped first), as many trusted (account, address) pairs,
 * and a gate per address or account only while an attempt holds or waits for it.
 */
public final class AuthThrottle {
    /**
     * @param initialDelay        penalty after the first failure
     * @param maxDelay            cap of the doubling
     * @param expireAfter         failures are forgotten this long after the last one
     * @param maxEntries          failure counts kept at most; as many trusted pairs
     * @param maxWait             longest an attempt waits (its turn, the penalties, a check slot)
     *                            before it is refused unchecked
     * @param maxConcurrentChecks password checks running at once on the node
     * @param trustFor            how long a successful login exempts its address from the
     *                            account's penalty
     */
    public record Config(Duration initialDelay, Duration maxDelay, Duration expireAfter, int maxEntries,
                         Duration maxWait, int maxConcurrentChecks, Duration trustFor) {
        public static final Config DEFAULT = new Config(Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofMinutes(5), 100_000);

        public Config {
            if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0) throw new IllegalArgumentException("delays");
            if (maxEntries < 2) throw new IllegalArgumentException("maxEntries " + maxEntries);
            // a lone client must always be able to wait out the longest penalty
            if (maxWait.compareTo(maxDelay) < 0) throw new IllegalArgumentException("maxWait " + maxWait + " < maxDelay " + maxDelay);
            if (maxConcurrentChecks < 1) throw new IllegalArgumentException("maxConcurrentChecks " + maxConcurrentChecks);
            Objects.requireNonNull(trustFor);
        }

        /** Waits at most 30 s (or twice the cap), checks on as many threads as cores, trusts for 14 days. */
        public Config(Duration initialDelay, Duration maxDelay, Duration expireAfter, int maxEntries) {
            this(initialDelay, maxDelay, expireAfter, maxEntries, max(Duration.ofSeconds(30), maxDelay.multipliedBy(2)),
                    Runtime.getRuntime().availableProcessors(), Duration.ofDays(14));
        }

        public Config withChecks(int maxConcurrentChecks, Duration maxWait) {
            return new Config(initialDelay, maxDelay, expireAfter, maxEntries, maxWait, maxConcurrentChecks, trustFor);
        }

        private static Duration max(Duration a, Duration b) { return a.compareTo(b) >= 0 ? a : b; }
    }

    /** How the throttle waits out a penalty; tests inject one that records (and moves a fake clock). */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;

        Sleeper REAL = d -> Thread.sleep(d);
    }

    /** The password check itself, e.g. the {@link Authenticator}'s; it runs on a check thread. */
    @FunctionalInterface
    public interface Verification {
        AuthResult verify();
    }

    /**
     * One login attempt, for the throttle and the log line.
     *
     * @param protocol  "imap" or "pop3"
     * @param mechanism "PLAIN", "LOGIN" (SASL), "LOGIN-COMMAND" (IMAP LOGIN), "USER-PASS" (POP3)
     * @param user      the login name as the client sent it; null when it could not be decoded
     * @param perAccount whether failures count against {@code user}'s account as well as the
     *                   address: not for an identity every front-end logs in as
     *                   ({@link ProxyLogin#IDENTITY}), whose account penalty anyone who can reach
     *                   the node could raise for the whole proxy tier at once
     */
    public record Attempt(String protocol, String mechanism, String user, InetAddress remote, boolean perAccount) {
        public Attempt {
            Objects.requireNonNull(protocol);
            Objects.requireNonNull(mechanism);
        }

        /** A login counted per address and per account. */
        public Attempt(String protocol, String mechanism, String user, InetAddress remote) {
            this(protocol, mechanism, user, remote, true);
        }

        /** The account key its failures count against; null for none. */
        String account() { return perAccount ? accountKey(user) : null; }
    }

    /** One at a time per address or account; lives in {@link #gates} while someone holds or awaits it. */
    private static final class Gate {
        final TwoLanePermits turn = new TwoLanePermits(1, 0);
        int users; // guarded by the map's compute
    }

    private final Config config;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Penalties penalties;
    private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();
    private final TwoLanePermits checkSlots;
    private final ThreadPoolExecutor checks;

    public AuthThrottle(Config config, Clock clock, Sleeper sleeper) {
        this.config = Objects.requireNonNull(config);
        this.clock = Objects.requireNonNull(clock);
        this.sleeper = Objects.requireNonNull(sleeper);
        this.penalties = new Penalties(config);
        int n = config.maxConcurrentChecks();
        this.checkSlots = new TwoLanePermits(n, n > 1 ? 1 : 0);
        // Threads come and go with demand: an idle node (or a test's throttle) keeps none.
        this.checks = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                Thread.ofPlatform().name("cairn-auth-check-", 0).daemon(true).factory());
        this.checks.allowCoreThreadTimeOut(true);
    }

    public AuthThrottle() { this(Config.DEFAULT, Clock.systemUTC(), Sleeper.REAL); }

    public Config config() { return config; }

    /**
     * Runs one login attempt: waits its turn and the penalties, verifies on a check thread,
     * counts and logs the outcome. Answers the verification's result, or a
     * {@link AuthResult.Reason#TEMPORARY_FAILURE} when the attempt was refused unchecked.
     */
    public AuthResult check(Attempt attempt, Verification verification) throws InterruptedException {
        Instant deadline = clock.instant().plus(config.maxWait());
        String address = addressKey(attempt.remote());
        String account = attempt.account();
        if (penalties.addressPenaltyEnd(address, clock.instant()) == null) {
            AuthResult r = checkAccount(attempt, verification, account, address, false, true, deadline);
            if (r != null) return r;
            // the address failed while this attempt queued for its slot: it queues like the rest
        }
        Gate addressGate = enter(address);
        try {
            if (addressGate != null && !addressGate.turn.acquire(true, nanosUntil(deadline))) return throttled(attempt);
            try {
                Instant end = penalties.addressPenaltyEnd(address, clock.instant());
                if (!waitUntil(end, deadline)) return throttled(attempt);
                return checkAccount(attempt, verification, account, address, end != null, false, deadline);
            } finally {
                if (addressGate != null) addressGate.turn.release();
            }
        } finally {
            leave(address, addressGate);
        }
    }

    /** Counts and logs a failure that needed no check (e.g. a SASL response that does not decode). */
    public void failed(Attempt attempt, AuthLog.Reason reason) {
        penalties.failed(attempt.account(), addressKey(attempt.remote()), clock.instant());
        AuthLog.failed(attempt, reason);
    }

    /** Failure counts held (bounded by {@link Config#maxEntries()}). */
    public int size() { return penalties.size(); }

    /** Password checks running now (bounded by {@link Config#maxConcurrentChecks()}). */
    int checksRunning() { return checkSlots.held(); }

    /** Attempts waiting for a check slot now. */
    int checksWaiting() { return checkSlots.waiting(); }

    /** The penalty after {@code failures} failures: initial × 2^(failures-1), capped. */
    Duration delayAfter(int failures) { return penalties.delayAfter(failures); }

    /**
     * Goes through the account's gate if need be, takes a check slot and verifies. An attempt
     * that skipped the address's gate ({@code ungated}) answers null, unchecked, when the address
     * has failed by the time it holds its slot.
     */
    private AuthResult checkAccount(Attempt attempt, Verification verification, String account, String address,
                                    boolean penalized, boolean ungated, Instant deadline) throws InterruptedException {
        String gateKey = account == null ? null : "g" + account;
        Gate accountGate = null;
        boolean holdingAccount = false;
        try {
            while (true) {
                if (!holdingAccount && penalties.accountGated(account, address, clock.instant())) {
                    if (accountGate == null) accountGate = enter(gateKey);
                    boolean fresh = !penalized && !penalties.failedFor(account, address, clock.instant());
                    if (!accountGate.turn.acquire(fresh, nanosUntil(deadline))) return throttled(attempt);
                    holdingAccount = true;
                    Instant end = penalties.accountPenaltyEnd(account, address, clock.instant());
                    penalized |= end != null && end.isAfter(clock.instant());
                    if (!waitUntil(end, deadline)) return throttled(attempt);
                }
                if (!checkSlots.acquire(!penalized, nanosUntil(deadline))) return throttled(attempt);
                // Another attempt from this address may have failed while this one queued for its slot.
                if (ungated && penalties.addressPenaltyEnd(address, clock.instant()) != null) {
                    checkSlots.release();
                    return null;
                }
                // The account may have come under attack while this attempt queued for its slot.
                if (holdingAccount || !penalties.accountGated(account, address, clock.instant())) break;
                checkSlots.release();
            }
            return verify(attempt, verification, account, address);
        } finally {
            if (holdingAccount) accountGate.turn.release();
            if (accountGate != null) leave(gateKey, accountGate);
        }
    }

    /**
     * Called holding a check slot, which the check thread gives back once it has counted the
     * outcome: so the attempt that takes the slot next sees this failure (what bounds an ungated
     * burst), and a guess counts even if its session stopped waiting. Counts while the gates are held.
     */
    private AuthResult verify(Attempt attempt, Verification verification, String account, String address)
            throws InterruptedException {
        Future<AuthResult> result;
        try {
            result = checks.submit(() -> {
                try {
                    AuthResult r = verification.verify();
                    count(attempt, account, address, r);
                    return r;
                } finally {
                    checkSlots.release();
                }
            });
        } catch (RuntimeException e) {
            checkSlots.release();
            throw e;
        }
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Counts the outcome in the penalties and logs it; on the check thread, before the slot is given back. */
    private void count(Attempt attempt, String account, String address, AuthResult r) {
        switch (r) {
            case AuthResult.Success s -> {
                penalties.succeeded(account, address, clock.instant());
                AuthLog.succeeded(attempt);
            }
            case AuthResult.Failure f -> {
                // the directory did not answer: no guess was made
                if (f.reason() != AuthResult.Reason.TEMPORARY_FAILURE) penalties.failed(account, address, clock.instant());
                AuthLog.failed(attempt, AuthLog.Reason.of(f.reason()));
            }
        }
    }

    private AuthResult throttled(Attempt attempt) {
        AuthLog.failed(attempt, AuthLog.Reason.THROTTLED);
        return new AuthResult.Failure(AuthResult.Reason.TEMPORARY_FAILURE, "too many failed logins, not checked");
    }

    /** Sleeps until {@code end}; false (without sleeping) when that is after the deadline. */
    private boolean waitUntil(Instant end, Instant deadline) throws InterruptedException {
        if (end == null) return true;
        Instant now = clock.instant();
        if (!end.isAfter(now)) return true;
        if (end.isAfter(deadline)) return false;
        sleeper.sleep(Duration.between(now, end));
        return true;
    }

    private long nanosUntil(Instant deadline) {
        Duration left = Duration.between(clock.instant(), deadline);
        return left.isNegative() ? 0 : left.toNanos();
    }

    private Gate enter(String key) {
        if (key == null) return null;
        return gates.compute(key, (k, g) -> {
            Gate gate = g == null ? new Gate() : g;
            gate.users++;
            return gate;
        });
    }

    private void leave(String key, Gate gate) {
        if (gate == null) return;
        gates.computeIfPresent(key, (k, g) -> --g.users == 0 ? null : g);
    }

    /** Gates alive now (a test sees that they go away). */
    int gates() { return gates.size(); }

    /** Attempts from this address holding or awaiting its turn now. */
    int attemptsAt(InetAddress remote) {
        Gate g = gates.get(addressKey(remote));
        return g == null ? 0 : g.users;
    }

    static String accountKey(String user) {
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
