// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A locator known only once the process joined the cluster: the listeners start first (a node's
 * slots stay fenced until the map names them), so until {@link #follow} every user is
 * {@link Location.Nowhere} (a temporary failure), then the cluster's locator answers.
 */
public final class FollowingLocator implements Locator {
    private volatile Locator cluster;
    /** Listeners given before {@link #follow}: passed on to the cluster's locator then. */
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** From now on, {@code locator} answers (and tells the listeners of its changes). */
    public void follow(Locator locator) {
        Objects.requireNonNull(locator);
        synchronized (listeners) {
            cluster = locator;
            listeners.forEach(locator::onChange);
        }
        listeners.forEach(Runnable::run); // the picture changed from none to the cluster's
    }

    @Override public long masterEpoch(String store) {
        Locator l = cluster;
        return l != null ? l.masterEpoch(store) : -1;
    }

    @Override public void onChange(Runnable listener) {
        synchronized (listeners) {
            listeners.add(listener);
            if (cluster != null) cluster.onChange(listener);
        }
    }

    @Override public Location locate(String protocol, String user, Duration wait) throws InterruptedException {
        Locator l = cluster;
        return l != null ? l.locate(protocol, user, wait) : new Location.Nowhere("not in the cluster yet");
    }
}
