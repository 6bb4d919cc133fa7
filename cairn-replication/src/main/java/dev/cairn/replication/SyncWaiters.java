// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;

/**
 * A store's sync-mode commits waiting for a replica, per user: each is woken by its own user's
 * Ack only ({@link StoreMaster} waits, its channels' answers wake). Thread-safe.
 */
final class SyncWaiters {
    /** {@code done} completes true when a replica has the commit, false when nobody waits any more (stopped, fallen back). */
    record Waiter(long seq, CompletableFuture<Boolean> done) {}

    private final Map<String, List<Waiter>> waiting = new ConcurrentHashMap<>();

    /** A commit of the user at seq waits from now on. */
    Waiter add(String user, long seq) {
        Waiter w = new Waiter(seq, new CompletableFuture<>());
        waiting.compute(user, (u, ws) -> {
            if (ws == null) ws = new ArrayList<>(2);
            ws.add(w);
            return ws;
        });
        return w;
    }

    /** The commit no longer waits (timed out, interrupted). */
    void drop(String user, Waiter w) {
        waiting.computeIfPresent(user, (u, ws) -> {
            ws.remove(w);
            return ws.isEmpty() ? null : ws;
        });
    }

    /** Wakes the user's commits up to seq, which the replica now has. */
    void release(String user, long seq) { releaseHeld(user, s -> s <= seq); }

    /** Wakes the user's commits whose seq a replica has, as {@code has} says of each. */
    void releaseHeld(String user, LongPredicate has) {
        waiting.computeIfPresent(user, (u, ws) -> {
            ws.removeIf(w -> {
                if (!has.test(w.seq())) return false;
                w.done().complete(true);
                return true;
            });
            return ws.isEmpty() ? null : ws;
        });
    }

    /** Wakes every waiting commit (stopped, or fallen back to async: nobody waits any more). */
    void releaseAll() {
        for (String user : waiting.keySet()) {
            waiting.computeIfPresent(user, (u, ws) -> {
                for (Waiter w : ws) w.done().complete(false);
                return null;
            });
        }
    }
}
