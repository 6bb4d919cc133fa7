// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

/**
 * Runs the commands whose cost a client chooses (SEARCH, SORT, THREAD, LIST and LSUB: CPU; FETCH
 * of bodies and structures: reading and writing) so that no user's can starve another's. How,
 * and why, is in the package documentation; in short: CPU-heavy work runs on a few platform
 * threads, never on a carrier of the sessions' virtual threads; a user has at most
 * {@code perUser} heavy commands running at once; each has a CPU budget, checked at
 * {@link Budget#check} in its loops, and answers NO [LIMIT] past it.
 */
final class HeavyCommands implements AutoCloseable {
    /** Work that checks its budget in every loop that the client or a message can make long. */
    @FunctionalInterface
    interface Work<T> {
        T run(Budget budget) throws IOException;
    }

    /** The command used up its CPU budget: answered NO [LIMIT] (RFC 5530). */
    static final class OverBudget extends RuntimeException {
        OverBudget() { super("command over its CPU budget", null, false, false); }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * A command's cooperative checkpoint. On a pool thread it counts the thread's CPU time
     * against the budget; on a session's virtual thread (FETCH, which mostly writes) it gives
     * the carrier to the other sessions every {@link #SLICE_NANOS}, since a virtual thread is
     * never preempted. Work is stopped here, never by interrupting its thread: an interrupt
     * closes the FileChannel the thread is reading, and the store's files are shared.
     */
    static final class Budget {
        /** For code run outside a session (tests, tools): never over, never yields. */
        static final Budget NONE = new Budget(0, false);
        static final long SLICE_NANOS = 2_000_000;
        private static final int CHECK_EVERY = 16;

        private final long cpuNanos;
        private final boolean yields;
        private long cpuDeadline = Long.MAX_VALUE;
        private long lastYield = System.nanoTime();
        private int calls;
        private volatile boolean stopped;

        private Budget(long cpuNanos, boolean yields) {
            this.cpuNanos = cpuNanos;
            this.yields = yields;
        }

        static Budget ofCpu(long cpuNanos) { return new Budget(cpuNanos, false); }

        static Budget yielding() { return new Budget(0, true); }

        /** The CPU budget counts from here, on the thread that runs the work. */
        private void start() {
            long now = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
            if (now >= 0) cpuDeadline = now + cpuNanos;
        }

        /** The work ends at its next checkpoint (its session went away, or the server stops). */
        private void stop() { stopped = true; }

        /** Throws {@link OverBudget} once the CPU budget is spent; lets others run on a virtual thread. */
        void check() {
            if (stopped) throw new OverBudget();
            if (yields) {
                if (System.nanoTime() - lastYield >= SLICE_NANOS) {
                    Thread.yield(); // a virtual thread goes to the back of the carriers' queue
                    lastYield = System.nanoTime();
                }
                return;
            }
            if (cpuDeadline == Long.MAX_VALUE || ++calls % CHECK_EVERY != 0) return;
            if (THREADS.getCurrentThreadCpuTime() > cpuDeadline) throw new OverBudget();
        }
    }

    private final ImapConfig.HeavyWork config;
    private final ExecutorService pool;
    private final Map<String, UserPermits> users = new HashMap<>();
    /** Budgets of the work queued or running, stopped when the server closes. */
    private final Set<Budget> running = ConcurrentHashMap.newKeySet();

    private static final class UserPermits {
        final Semaphore running;
        int holders;

        UserPermits(int perUser) { running = new Semaphore(perUser, true); }
    }

    HeavyCommands(ImapConfig.HeavyWork config) {
        this.config = config;
        this.pool = Executors.newFixedThreadPool(config.threads(), Thread.ofPlatform().name("imap-heavy-", 0).daemon(true).factory());
    }

    /**
     * Runs CPU-heavy work on the pool while the calling (virtual) thread waits parked, its carrier
     * free. The pool's queue holds at most {@code perUser} commands of any one user, so users take
     * turns; a command's budget counts from when it starts there.
     */
    <T> T compute(String user, Work<T> work) throws IOException, InterruptedException {
        long cpu = config.cpuPerCommand().toNanos();
        return asUser(user, () -> {
            Budget budget = Budget.ofCpu(cpu);
            running.add(budget);
            try {
                Future<T> f;
                try {
                    f = pool.submit(() -> {
                        budget.start();
                        return work.run(budget);
                    });
                } catch (RejectedExecutionException closed) {
                    throw new IOException("the server is stopping");
                }
                return f.get();
            } catch (InterruptedException e) {
                budget.stop();
                throw e;
            } catch (ExecutionException e) {
                switch (e.getCause()) {
                    case IOException io -> throw io;
                    case RuntimeException r -> throw r;
                    case Error err -> throw err;
                    default -> throw new IllegalStateException(e.getCause());
                }
            } finally {
                running.remove(budget);
            }
        });
    }

    /**
     * Runs work that mostly reads and writes (a big FETCH) on the calling thread, within the
     * user's permits, yielding its carrier at every slice.
     */
    <T> T stream(String user, Work<T> work) throws IOException, InterruptedException {
        return asUser(user, () -> work.run(Budget.yielding()));
    }

    private interface Held<T> {
        T run() throws IOException, InterruptedException;
    }

    private <T> T asUser(String user, Held<T> held) throws IOException, InterruptedException {
        UserPermits p;
        synchronized (users) {
            p = users.computeIfAbsent(user, u -> new UserPermits(config.perUser()));
            p.holders++;
        }
        try {
            p.running.acquire();
            try {
                return held.run();
            } finally {
                p.running.release();
            }
        } finally {
            synchronized (users) {
                if (--p.holders == 0) users.remove(user);
            }
        }
    }

    /** Stops the pool: work queued or running ends at its next checkpoint (its session is being told BYE). */
    @Override public void close() {
        for (Budget b : running) b.stop();
        pool.shutdown();
    }
}
