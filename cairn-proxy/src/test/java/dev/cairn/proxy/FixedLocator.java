// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A locator over a table the test changes, for front-ends tested against back-ends in-process:
 * {@link #at} puts a user on a node's listeners (one per protocol), {@link #here} serves it
 * locally, {@link #remove} leaves it with no master. Each change is told to the listeners at once,
 * on the test's thread.
 */
final class FixedLocator implements Locator {
    private final Map<String, Map<String, Location>> table = new ConcurrentHashMap<>();
    private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

    /** The user's store {@code store} is mastered at {@code epoch} by the node of these listeners. */
    FixedLocator at(String user, String store, long epoch, Backend... listeners) {
        Map<String, Location> byProtocol = new ConcurrentHashMap<>();
        for (Backend b : listeners) byProtocol.put(b.protocol(), new Location.At(store, epoch, b));
        table.put(user, byProtocol);
        changeListeners.forEach(Runnable::run);
        return this;
    }

    FixedLocator here(String user, String store) {
        Map<String, Location> byProtocol = new ConcurrentHashMap<>();
        for (String p : new String[] {"imap", "pop3", "lmtp"}) byProtocol.put(p, new Location.Here(store));
        table.put(user, byProtocol);
        changeListeners.forEach(Runnable::run);
        return this;
    }

    FixedLocator remove(String user) {
        table.remove(user);
        changeListeners.forEach(Runnable::run);
        return this;
    }

    /** The newest epoch any user's store {@code store} is mastered at in the table. */
    @Override public long masterEpoch(String store) {
        return table.values().stream().flatMap(m -> m.values().stream()).mapToLong(l -> l instanceof Location.At at && at.store().equals(store)
                ? at.epoch() : -1).max().orElse(-1);
    }

    @Override public void onChange(Runnable listener) { changeListeners.add(listener); }

    @Override public Location locate(String protocol, String user, Duration wait) {
        Location l = table.getOrDefault(user, Map.of()).get(protocol);
        return l != null ? l : new Location.Nowhere("no " + protocol + " location for " + user + " in the test's table");
    }
}
