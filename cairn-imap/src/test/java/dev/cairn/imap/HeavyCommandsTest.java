// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The heavy-work pool: budgets, per-user turns, and the carrier left free. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HeavyCommandsTest {
    @Test void workPastItsCpuBudgetIsStoppedAtACheckpoint() throws Exception {
        try (HeavyCommands heavy = new HeavyCommands(new ImapConfig.HeavyWork(1, 1, Duration.ofMillis(50), 4))) {
            assertThatThrownBy(() -> heavy.compute("u", budget -> {
                while (true) budget.check();
            })).isInstanceOf(HeavyCommands.OverBudget.class);
            String after = heavy.compute("u", budget -> "after");
            assertThat(after).as("the pool goes on").isEqualTo("after");
        }
    }

    @Test void workWithinItsBudgetRunsOnAPlatformThread() throws Exception {
        try (HeavyCommands heavy = new HeavyCommands(new ImapConfig.HeavyWork(1, 1, Duration.ofSeconds(10), 4))) {
            boolean[] virtual = new boolean[1];
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    virtual[0] = heavy.compute("u", budget -> Thread.currentThread().isVirtual());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            caller.join();
            assertThat(virtual[0]).isFalse();
        }
    }

    /** A big FETCH writes from a platform thread (the OS preempts it); the node runs at most {@code streams} of them. */
    @Test void streamsRunOnPlatformThreadsAndTheNodeRunsAtMostItsStreams() throws Exception {
        try (HeavyCommands heavy = new HeavyCommands(new ImapConfig.HeavyWork(1, 2, Duration.ofSeconds(10), 1))) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch firstRunning = new CountDownLatch(1);
            boolean[] virtual = {true};
            Thread first = Thread.ofVirtual().start(() -> {
                try {
                    heavy.stream("one", budget -> {
                        virtual[0] = Thread.currentThread().isVirtual();
                        firstRunning.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return null;
                    });
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            firstRunning.await();
            AtomicInteger secondRan = new AtomicInteger();
            Thread second = Thread.ofVirtual().start(() -> {
                try {
                    heavy.stream("two", budget -> secondRan.incrementAndGet());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            while (second.getState() != Thread.State.WAITING) Thread.onSpinWait(); // parked on the node's streams
            assertThat(secondRan.get()).isZero();
            release.countDown();
            first.join();
            second.join();
            assertThat(virtual[0]).isFalse();
            assertThat(secondRan.get()).isEqualTo(1);
        }
    }

    /** A user's third heavy command waits for one of its first two; another user's does not. */
    @Test void aUserRunsAtMostItsPermitsAtOnce() throws Exception {
        try (HeavyCommands heavy = new HeavyCommands(new ImapConfig.HeavyWork(4, 2, Duration.ofSeconds(10), 4))) {
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger running = new AtomicInteger();
            CountDownLatch twoRunning = new CountDownLatch(2);
            Runnable hold = () -> {
                try {
                    heavy.compute("greedy", budget -> {
                        running.incrementAndGet();
                        twoRunning.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return null;
                    });
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            Thread a = Thread.ofVirtual().start(hold);
            Thread b = Thread.ofVirtual().start(hold);
            twoRunning.await();
            Thread c = Thread.ofVirtual().start(hold);
            while (c.getState() != Thread.State.WAITING) Thread.onSpinWait(); // parked on its user's permits
            String other = heavy.compute("other", budget -> "served");
            assertThat(other).isEqualTo("served");
            assertThat(running.get()).as("the third waits for a permit of its user").isEqualTo(2);
            release.countDown();
            a.join();
            b.join();
            c.join();
            assertThat(running.get()).isEqualTo(3);
        }
    }

    /** An interrupt would close the FileChannel the work reads (the store's, shared): closing stops work at a checkpoint instead. */
    @Test void closingStopsRunningWorkAtACheckpointWithoutInterruptingIt() throws Exception {
        HeavyCommands heavy = new HeavyCommands(new ImapConfig.HeavyWork(1, 1, Duration.ofSeconds(60), 4));
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger(-1);
        Throwable[] outcome = new Throwable[1];
        Thread session = Thread.ofVirtual().start(() -> {
            try {
                heavy.compute("u", budget -> {
                    started.countDown();
                    try {
                        while (true) budget.check();
                    } finally {
                        interrupted.set(Thread.currentThread().isInterrupted() ? 1 : 0);
                    }
                });
            } catch (Throwable t) {
                outcome[0] = t;
            }
        });
        started.await();
        heavy.close();
        session.join();
        assertThat(outcome[0]).isInstanceOf(HeavyCommands.OverBudget.class);
        assertThat(interrupted.get()).isZero();
    }
}
