// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.function.ToLongFunction;

/**
 * How far one channel's replica is behind: per user, (seq, {@link System#nanoTime()}) of the
 * commits it has not acknowledged, which give the lag in time and, once the Ack comes, each
 * commit's delay (the histogram); and the lag in changes. Thread-safe: commits add, the channel's
 * reader acknowledges, status and metrics read.
 */
final class ReplicaLag {
    /** Commit times kept per user (beyond it the newest ones share one entry). */
    private static final int TIMES_PER_USER = 64;

    private final Map<String, ArrayDeque<long[]>> byUser = new HashMap<>();

    synchronized void committed(String user, long seq, long now) {
        ArrayDeque<long[]> times = byUser.computeIfAbsent(user, u -> new ArrayDeque<>());
        if (times.size() < TIMES_PER_USER) times.add(new long[]{seq, now});
        else times.peekLast()[0] = seq; // counted from an earlier commit: the lag errs on the long side
    }

    /** The replica has the user's changes up to seq: they leave the lag, each one's delay goes to {@code delay}. */
    synchronized void acknowledged(String user, long seq, long now, LongConsumer delay) {
        ArrayDeque<long[]> times = byUser.get(user);
        if (times == null) return;
        while (!times.isEmpty() && times.peekFirst()[0] <= seq) delay.accept(now - times.poll()[1]);
        if (times.isEmpty()) byUser.remove(user);
    }

    /** The user is gone here (deleted): nothing of it is waited for any more. */
    synchronized void forget(String user) { byUser.remove(user); }

    /**
     * Changes the master has that the replica has not acknowledged, of the users that may have any:
     * waiting to be shipped ({@code dirty}), with commits not acknowledged, or shipped beyond their Ack;
     * counted in changes ({@link ChangeCount}: a promotion's jump of the seq is one change).
     */
    long changes(Set<String> dirty, Map<String, Long> shipped, Map<String, Long> acked, ToLongFunction<String> seq, ChangeCount count) {
        Set<String> users = new HashSet<>(dirty);
        synchronized (this) {
            users.addAll(byUser.keySet());
        }
        for (Map.Entry<String, Long> e : shipped.entrySet()) if (e.getValue() > acked.getOrDefault(e.getKey(), 0L)) users.add(e.getKey());
        long n = 0;
        for (String u : users) n += count.between(u, acked.getOrDefault(u, 0L), seq.applyAsLong(u));
        return n;
    }

    /** How long ago the oldest commit not acknowledged was made (0: none). */
    synchronized long millis(long now) {
        long oldest = Long.MAX_VALUE;
        for (ArrayDeque<long[]> times : byUser.values()) if (!times.isEmpty()) oldest = Math.min(oldest, times.peekFirst()[1]);
        return oldest == Long.MAX_VALUE ? 0 : (now - oldest) / 1_000_000;
    }
}
