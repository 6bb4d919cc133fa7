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
 * of bodies and structures: reading, and writing through COMPRESS and TLS) so that no user's can
 * starve another's. How, and why, is in the package documentation; in short: such work runs on
 * platform threads, which the operating system preempts, never on a carrier of the sessions'
 * virtual threads; a user has at most {@code perUser} heavy commands running at once; a CPU-heavy
 * command has a CPU budget, checked at {@link Budget#check} in its loops, and answers NO [LIMIT]
 * past it.
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
     * A command's cooperative checkpoint: it counts the thread's CPU time against the budget, and
     * ends work that was stopped. Work is stopped here, never by interrupting its thread: an
     * interrupt closes the FileChannel the thread is reading, and the store's files are shared.
     */
    static final class Budget {
        /** For code run outside a session or on its own thread (light commands, tests): never over. */
        static final Budget NONE = new Budget(-1);
        private static final int CHECK_EVERY = 16;

        /** CPU nanoseconds allowed, or -1 for no limit. */
        private final long cpuNanos;
        private long cpuDeadline = Long.MAX_VALUE;
        private int calls;
        private volatile boolean stopped;

        private Budget(long cpuNanos) { this.cpuNanos = cpuNanos; }

        /** The CPU budget counts from here, on the thread that runs the work. */
        private void start() {
            long now = cpuNanos < 0 || !THREADS.isCurrentThreadCpuTimeSupported() ? -1 : THREADS.getCurrentThreadCpuTime();
            if (now >= 0) cpuDeadline = now + cpuNanos;
        }

        /** The work ends at its next checkpoint (its session went away, or the server stops). */
        private void stop() { stopped = true; }

        /** Throws {@link OverBudget} once the CPU budget is spent or the work was stopped. */
        void check() {
            if (stopped) throw new OverBudget();
            if (cpuDeadline == Long.MAX_VALUE || ++calls % CHECK_EVERY != 0) return;
            if (THREADS.getCurrentThreadCpuTime() > cpuDeadline) throw new OverBudget();
        }
    }

    private final ImapConfig.HeavyWork config;
    /** CPU-heavy work: a few threads, so a core's worth is left for the carriers. */
    private final ExecutorService pool;
    /** Streaming work: a thread per running command, as many as {@code streams} allows. */
    private final ExecutorService streamers;
    private final Semaphore streams;
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
        this.streamers = Executors.newCachedThreadPool(Thread.ofPlatform().name("imap-stream-", 0).daemon(true).factory());
        this.streams = new Semaphore(config.streams(), true);
    }

    /**
     * Runs CPU-heavy work on the pool while the calling (virtual) thread waits parked, its carrier
     * free. The pool's queue holds at most {@code perUser} commands of any one user, so users take
     * turns; a command's budget counts from when it starts there.
     */
    <T> T compute(String user, Work<T> work) throws IOException, InterruptedException {
        return asUser(user, () -> runOn(pool, new Budget(config.cpuPerCommand().toNanos()), work));
    }

    /**
     * Runs work that reads and writes much (a big FETCH: its CPU is in reading bodies, deflating
     * for COMPRESS, encrypting for TLS) on a platform thread of its own while the calling thread
     * waits parked. Such a thread may block on a client that reads slowly (until the connection's
     * write timeout), so it is not one of the few CPU threads; the node runs at most
     * {@code streams} of them, a user at most {@code perUser} heavy commands. No CPU budget: a
     * big FETCH is as long as the mail it sends.
     */
    <T> T stream(String user, Work<T> work) throws IOException, InterruptedException {
        return asUser(user, () -> {
            streams.acquire();
            try {
                return runOn(streamers, new Budget(-1), work);
            } finally {
                streams.release();
            }
        });
    }

    private <T> T runOn(ExecutorService executor, Budget budget, Work<T> work) throws IOException, InterruptedException {
        running.add(budget);
        try {
            Future<T> f;
            try {
                f = executor.submit(() -> {
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
        streamers.shutdown();
    }
}
