// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * A locator known only once the process joined the cluster: the listeners start first (a node's
 * slots stay fenced until the map names them), so until {@link #follow} every user is
 * {@link Location.Nowhere} (a temporary failure), then the cluster's locator answers.
 */
public final class FollowingLocator implements Locator {
    private volatile Locator cluster;

    /** From now on, {@code locator} answers. */
    public void follow(Locator locator) { cluster = Objects.requireNonNull(locator); }

    @Override public Location locate(String protocol, String user, Duration wait) throws InterruptedException {
        Locator l = cluster;
        return l != null ? l.locate(protocol, user, wait) : new Location.Nowhere("not in the cluster yet");
    }
}
