// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.time.Duration;

/**
 * Waits for something another thread or process brings about (a channel connects, a replica
 * catches up, a log line appears) by retrying an assertion, instead of a hand-written deadline
 * loop. Not for showing that something did NOT happen: wait for the signal that it could have.
 */
public final class Eventually {
    private static final Duration FIRST_PAUSE = Duration.ofMillis(10), LONGEST_PAUSE = Duration.ofMillis(200);

    private Eventually() {}

    /** Code that may throw anything; an assertion, usually. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * Runs {@code assertion} until it completes without throwing, pausing between tries (10 ms,
     * doubling to 200 ms). When {@code within} is over it runs it once more and rethrows that
     * last failure, with the time waited added.
     */
    public static void eventually(Duration within, ThrowingRunnable assertion) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        Duration pause = FIRST_PAUSE;
        while (true) {
            try {
                assertion.run();
                return;
            } catch (AssertionError | Exception failure) {
                if (failure instanceof InterruptedException) throw failure;
                if (System.nanoTime() - deadline >= 0) {
                    failure.addSuppressed(new AssertionError("still failing after " + within));
                    throw failure;
                }
            }
            Thread.sleep(pause);
            pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
        }
    }
}
