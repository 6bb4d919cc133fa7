// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.testing.FakeClock;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class AuthThrottleTest {
    final FakeClock clock = new FakeClock();
    final List<Duration> slept = new CopyOnWriteArrayList<>();
    final AuthThrottle.Sleeper sleeper = clock.sleeper(slept);
    final AuthThrottle throttle = new AuthThrottle(AuthThrottle.Config.DEFAULT, clock, sleeper);

    static InetAddress ip(String s) throws Exception { return InetAddress.getByName(s); }

    static List<Duration> seconds(long... s) {
        List<Duration> out = new ArrayList<>();
        for (long v : s) out.add(Duration.ofSeconds(v));
        return out;
    }

    static AuthThrottle.Attempt attempt(String user, InetAddress from) {
        return new AuthThrottle.Attempt("imap", "PLAIN", user, from);
    }

    AuthResult fail(String user, String from) throws Exception {
        return throttle.check(attempt(user, ip(from)), () -> AuthResult.invalid("wrong password"));
    }

    AuthResult succeed(String user, String from) throws Exception {
        return throttle.check(attempt(user, ip(from)), () -> AuthResult.success(user));
    }

    static void await(BooleanSupplier condition) throws Exception {
        eventually(Duration.ofSeconds(10), () -> assertThat(condition.getAsBoolean()).as("condition reached").isTrue());
    }

    @Test
    void eachGuessWaitsThePenaltyBeforeItIsCheckedDoublingToTheCap() throws Exception {
        for (int i = 0; i < 6; i++) fail("alice", "192.0.2.1");
        assertThat(slept).isEqualTo(seconds(2, 4, 8, 15, 15));
    }

    @Test
    void penaltyCapAtItsLimit() {
        // 2, 4, 8, then 16 is over the 15 s cap: the 4th failure is the limit
        assertThat(throttle.delayAfter(0)).isZero();
        assertThat(throttle.delayAfter(1)).hasSeconds(2);
        assertThat(throttle.delayAfter(3)).hasSeconds(8);
        assertThat(throttle.delayAfter(4)).hasSeconds(15);
        assertThat(throttle.delayAfter(5)).hasSeconds(15);
        assertThat(throttle.delayAfter(Integer.MAX_VALUE)).hasSeconds(15);
    }

    @Test
    void theAddressCountsAcrossUserNames() throws Exception {
        fail("alice", "192.0.2.1");
        fail("bob", "192.0.2.1");
        fail("carol", "192.0.2.1");
        assertThat(slept).isEqualTo(seconds(2, 4));
        // another address guessing a fresh name is not slowed
        fail("dave", "198.51.100.7");
        assertThat(slept).hasSize(2);
    }

    @Test
    void aGuesserSpreadOverManyAddressesIsSlowedPerAccount() throws Exception {
        for (int i = 1; i <= 7; i++) fail("alice", "192.0.2." + i);
        // one other failing address is free (its own penalty slows it); then 2, 4, 8, 15 s
        assertThat(slept).isEqualTo(seconds(2, 4, 8, 15, 15));
        // the name is case-folded: ALICE is the same account
        fail("ALICE", "192.0.2.99");
        assertThat(slept.getLast()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void oneGuessingAddressDoesNotSlowTheUserFromAnotherAddress() throws Exception {
        for (int i = 0; i < 5; i++) fail("alice", "192.0.2.1");
        int before = slept.size();
        assertThat(succeed("alice", "198.51.100.7")).isEqualTo(AuthResult.success("alice"));
        assertThat(slept).hasSize(before);
    }

    @Test
    void anAddressTheUserLoggedInFromSkipsTheAccountPenaltyUntilTheTrustExpires() throws Exception {
        succeed("alice", "198.51.100.7");
        for (int i = 1; i <= 6; i++) fail("alice", "192.0.2." + i);
        slept.clear();
        succeed("alice", "198.51.100.7");
        assertThat(slept).as("a known address").isEmpty();
        // a fresh address is slowed by the account penalty, not locked out
        assertThat(succeed("alice", "203.0.113.9")).isEqualTo(AuthResult.success("alice"));
        assertThat(slept).isEqualTo(seconds(15));
        slept.clear();
        for (int i = 1; i <= 6; i++) fail("alice", "192.0.2." + (10 + i));
        clock.advance(Duration.ofDays(14));
        for (int i = 1; i <= 6; i++) fail("alice", "192.0.2." + (20 + i));
        slept.clear();
        succeed("alice", "198.51.100.7");
        assertThat(slept).as("trust expired after 14 days").isEqualTo(seconds(15));
    }

    @Test
    void loggingIntoOnesOwnAccountDoesNotResetAPenaltyEarnedOnAnother() throws Exception {
        fail("victim", "192.0.2.1");
        fail("victim", "192.0.2.1");
        succeed("mallory", "192.0.2.1"); // waits the 4 s too
        fail("victim", "192.0.2.1");
        fail("victim", "192.0.2.1");
        assertThat(slept).as("2, 4, then 2 again had the success reset the count").isEqualTo(seconds(2, 4, 8));
    }

    @Test
    void aSuccessForgetsTheFailuresOfTheUsersOwnTypos() throws Exception {
        fail("alice", "192.0.2.1");
        fail("alice", "192.0.2.1");
        succeed("alice", "192.0.2.1");
        fail("alice", "192.0.2.1");
        fail("alice", "192.0.2.1");
        assertThat(slept).isEqualTo(seconds(2, 4, 2));
    }

    @Test
    void countsExpireAfterTheirLastFailure() throws Exception {
        fail("alice", "192.0.2.1");
        fail("alice", "192.0.2.1"); // waited 2 s, penalty now 4 s
        clock.advance(Duration.ofMinutes(5).minusSeconds(1));
        fail("alice", "192.0.2.1");
        assertThat(slept).isEqualTo(seconds(2)); // the 4 s were over long ago, and the count kept
        fail("alice", "192.0.2.1");
        assertThat(slept).isEqualTo(seconds(2, 8));
        clock.advance(Duration.ofMinutes(5));
        fail("alice", "192.0.2.1");
        fail("alice", "192.0.2.1");
        assertThat(slept).isEqualTo(seconds(2, 8, 2));
    }

    @Test
    void ipv6CountsPerSlash48() throws Exception {
        throttle.failed(attempt(null, ip("2001:db8:1:aaaa::1")), AuthLog.Reason.BAD_SASL);
        fail(null, "2001:db8:1:bbbb::2");
        fail(null, "2001:db8:2::1");
        assertThat(slept).isEqualTo(seconds(2));
    }

    @Test
    void anUnknownUserIsTreatedExactlyLikeAKnownOne() throws Exception {
        // the throttle never learns whether a name exists: same counts, same waits
        for (int i = 1; i <= 4; i++) fail("alice", "192.0.2." + i);
        List<Duration> known = List.copyOf(slept);
        slept.clear();
        for (int i = 1; i <= 4; i++) fail("nobody", "198.51.100." + i);
        assertThat(slept).isEqualTo(known);
    }

    @Test
    void memoryIsBounded() throws Exception {
        AuthThrottle small = new AuthThrottle(new AuthThrottle.Config(Duration.ofSeconds(2), Duration.ofSeconds(15),
                Duration.ofMinutes(5), 100), clock, d -> {});
        for (int i = 0; i < 1000; i++) {
            small.check(attempt("user" + i, ip("10.0." + (i / 256) + "." + (i % 256))), () -> AuthResult.invalid("no"));
        }
        assertThat(small.size()).isEqualTo(100);
        assertThat(small.gates()).as("no gate outlives its attempts").isZero();
    }

    @Test
    void loginsFromACleanAddressAreCheckedConcurrently() throws Exception {
        // a webmail front-end, or an office behind NAT: many users, one address, no failure
        AuthThrottle t = new AuthThrottle(AuthThrottle.Config.DEFAULT.withChecks(2, Duration.ofSeconds(30)), clock, sleeper);
        CountDownLatch bothInside = new CountDownLatch(2);
        InetAddress from = ip("192.0.2.1");
        AuthThrottle.Verification meetTheOther = () -> {
            bothInside.countDown();
            try {
                // on a one-at-a-time gate the other never comes in: a failure after 5 s
                return bothInside.await(5, TimeUnit.SECONDS) ? AuthResult.success("alice") : AuthResult.invalid("alone");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        List<CompletableFuture<AuthResult>> logins = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            logins.add(CompletableFuture.supplyAsync(() -> check(t, from, meetTheOther), r -> Thread.ofVirtual().start(r)));
        }
        for (CompletableFuture<AuthResult> login : logins) {
            assertThat(login.get(20, TimeUnit.SECONDS)).as("both verified at once").isEqualTo(AuthResult.success("alice"));
        }
        assertThat(slept).isEmpty();
    }

    @Test
    void afterAFailureAnAddressIsCheckedOneAtATime() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        AuthThrottle t = new AuthThrottle(AuthThrottle.Config.DEFAULT.withChecks(2, Duration.ofSeconds(30)), clock, d -> {
            events.add("wait " + d.toSeconds());
            clock.advance(d);
        });
        InetAddress from = ip("192.0.2.1");
        t.check(attempt("alice", from), () -> AuthResult.invalid("no"));
        events.clear();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<AuthResult> first = CompletableFuture.supplyAsync(() -> check(t, from, () -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            events.add("check 1");
            await(release);
            inside.decrementAndGet();
            return AuthResult.invalid("no");
        }), r -> Thread.ofVirtual().start(r));
        await(() -> events.contains("check 1"));
        CompletableFuture<AuthResult> second = CompletableFuture.supplyAsync(() -> check(t, from, () -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            events.add("check 2");
            inside.decrementAndGet();
            return AuthResult.invalid("no");
        }), r -> Thread.ofVirtual().start(r));
        await(() -> t.attemptsAt(from) == 2); // the second one queues behind the first, a check slot free
        assertThat(t.checksRunning()).isEqualTo(1);
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        assertThat(events).containsExactly("wait 2", "check 1", "wait 4", "check 2");
        assertThat(mostInside).hasValue(1);
    }

    @Test
    void aFloodFromACleanAddressGetsAtMostTheCheckSlotsUnpenalized() throws Exception {
        int slots = 3;
        int flood = 50;
        Set<Thread> waitedAPenalty = ConcurrentHashMap.newKeySet();
        // an hour's budget: every attempt is verified in the end, none refused for lack of time
        AuthThrottle t = new AuthThrottle(AuthThrottle.Config.DEFAULT.withChecks(slots, Duration.ofHours(1)), clock, d -> {
            waitedAPenalty.add(Thread.currentThread());
            clock.advance(d);
        });
        InetAddress from = ip("192.0.2.1");
        AtomicInteger unpenalized = new AtomicInteger();
        AtomicInteger verified = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        List<CompletableFuture<AuthResult>> guesses = new ArrayList<>();
        for (int i = 0; i < flood; i++) {
            guesses.add(CompletableFuture.supplyAsync(() -> {
                Thread attempt = Thread.currentThread();
                return check(t, from, () -> {
                    if (!waitedAPenalty.contains(attempt)) unpenalized.incrementAndGet();
                    verified.incrementAndGet();
                    await(release);
                    return AuthResult.invalid("wrong password");
                });
            }, r -> Thread.ofVirtual().start(r)));
        }
        // all of them passed the address while it was clean: the slots full, the rest queued for one
        await(() -> t.checksRunning() == slots && t.checksWaiting() == flood - slots);
        release.countDown();
        for (CompletableFuture<AuthResult> g : guesses) {
            assertThat(g.get(20, TimeUnit.SECONDS)).isEqualTo(AuthResult.invalid("wrong password"));
        }
        assertThat(verified).hasValue(flood);
        assertThat(unpenalized).as("guesses verified before the address's penalty applied").hasValue(slots);
        assertThat(waitedAPenalty).as("the others went through the gate and its penalty").hasSize(flood - slots);
    }

    @Test
    void checksRunAtMostMaxConcurrentAtOnce() throws Exception {
        AuthThrottle t = new AuthThrottle(AuthThrottle.Config.DEFAULT.withChecks(3, Duration.ofSeconds(30)), clock, sleeper);
        CountDownLatch release = new CountDownLatch(1);
        List<CompletableFuture<AuthResult>> running = new ArrayList<>();
        for (int i = 1; i <= 2; i++) running.add(blocked(t, "192.0.2." + i, release));
        await(() -> t.checksRunning() == 2);
        running.add(blocked(t, "192.0.2.3", release)); // the limit: still runs at once
        await(() -> t.checksRunning() == 3);
        running.add(blocked(t, "192.0.2.4", release)); // one over: waits
        await(() -> t.checksWaiting() == 1);
        assertThat(t.checksRunning()).isEqualTo(3);
        release.countDown();
        for (CompletableFuture<AuthResult> f : running) assertThat(f.get(10, TimeUnit.SECONDS)).isInstanceOf(AuthResult.Failure.class);
        assertThat(t.checksRunning()).isZero();
    }

    @Test
    void penalizedAttemptsNeverTakeTheLastFreeCheckSlot() throws Exception {
        AuthThrottle t = new AuthThrottle(AuthThrottle.Config.DEFAULT.withChecks(2, Duration.ofSeconds(30)), clock, sleeper);
        for (String a : List.of("192.0.2.1", "192.0.2.2")) {
            t.check(attempt("x", ip(a)), () -> AuthResult.invalid("no")); // now these addresses are penalized
        }
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<AuthResult> p1 = blocked(t, "192.0.2.1", release);
        await(() -> t.checksRunning() == 1);
        CompletableFuture<AuthResult> p2 = blocked(t, "192.0.2.2", release);
        await(() -> t.checksWaiting() == 1);
        assertThat(t.checksRunning()).as("the last slot stays free for unpenalized attempts").isEqualTo(1);
        AuthResult fresh = t.check(attempt("alice", ip("198.51.100.7")), () -> AuthResult.success("alice"));
        assertThat(fresh).isEqualTo(AuthResult.success("alice"));
        release.countDown();
        p1.get(10, TimeUnit.SECONDS);
        p2.get(10, TimeUnit.SECONDS);
    }

    @Test
    void anAttemptStillQueuedWhenItsWaitBudgetEndsIsRefusedUnchecked() throws Exception {
        // real clock: the budget is a real wait here
        AuthThrottle.Config config = new AuthThrottle.Config(Duration.ofMillis(1), Duration.ofMillis(100), Duration.ofMinutes(5), 100)
                .withChecks(1, Duration.ofMillis(500));
        AuthThrottle t = new AuthThrottle(config, Clock.systemUTC(), AuthThrottle.Sleeper.REAL);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<AuthResult> holder = blocked(t, "192.0.2.1", release);
        await(() -> t.checksRunning() == 1);
        List<String> checked = new CopyOnWriteArrayList<>();
        // one over the budget: the slot never comes
        AuthResult late = t.check(attempt("alice", ip("198.51.100.7")), () -> {
            checked.add("late");
            return AuthResult.success("alice");
        });
        assertThat(late).isInstanceOfSatisfying(AuthResult.Failure.class,
                f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.TEMPORARY_FAILURE));
        assertThat(checked).isEmpty();
        // within the budget: the slot comes in time
        CompletableFuture<AuthResult> inTime = CompletableFuture.supplyAsync(() -> check(t, ip0("198.51.100.8"), () -> {
            checked.add("in time");
            return AuthResult.success("bob");
        }), r -> Thread.ofVirtual().start(r));
        await(() -> t.checksWaiting() == 1);
        release.countDown();
        assertThat(inTime.get(10, TimeUnit.SECONDS)).isEqualTo(AuthResult.success("bob"));
        assertThat(checked).containsExactly("in time");
        holder.get(10, TimeUnit.SECONDS);
        // a refusal is not a guess: it adds no penalty
        assertThat(t.size()).isEqualTo(2); // the holder's failure: its address and its account
    }

    @Test
    void theLogLineHasOneStableShapeAndNoSpaceAClientCouldForge() throws Exception {
        AuthThrottle.Attempt a = new AuthThrottle.Attempt("pop3", "USER-PASS", "eve remote=10.0.0.1\r\nx", ip("192.0.2.1"));
        assertThat(AuthLog.line(a, "failed", AuthLog.Reason.INVALID_CREDENTIALS))
                .isEqualTo("auth: pop3 login failed user=eve?remote=10.0.0.1??x remote=192.0.2.1 mechanism=USER-PASS reason=invalid_credentials");
        assertThat(AuthLog.line(new AuthThrottle.Attempt("imap", "PLAIN", null, ip("2001:db8::5")), "succeeded", null))
                .isEqualTo("auth: imap login succeeded user=- remote=2001:db8:0:0:0:0:0:5 mechanism=PLAIN");
        assertThat(AuthLog.printable("x".repeat(100))).hasSize(64);
    }

    private static InetAddress ip0(String s) {
        try {
            return ip(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private CompletableFuture<AuthResult> blocked(AuthThrottle t, String from, CountDownLatch release) {
        return CompletableFuture.supplyAsync(() -> check(t, ip0(from), () -> {
            await(release);
            return AuthResult.invalid("no");
        }), r -> Thread.ofVirtual().start(r));
    }

    private static AuthResult check(AuthThrottle t, InetAddress from, AuthThrottle.Verification v) {
        try {
            return t.check(attempt("alice", from), v);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
