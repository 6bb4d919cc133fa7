// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.time.Duration;

/**
 * Where a user is served now: the directory says which store the user is in, the cluster's map
 * which node masters that store, and that node's registration where its listeners are. One
 * implementation follows the cluster on ZooKeeper; tests use a fixed table.
 */
@FunctionalInterface
public interface Locator {
    /**
     * @param protocol "imap", "pop3" or "lmtp": which of the master's listeners
     * @param user     a canonical user name the directory knows
     * @param wait     how long to wait for a master while the user's store has none (a failover
     *                 under way); zero: answer at once
     */
    Location locate(String protocol, String user, Duration wait) throws InterruptedException;

    /**
     * The epoch of the store map at which {@code store}'s live master was named, or -1 when it has
     * none now (or this locator follows no map). A front-end ends the sessions it relays to a
     * master named at an older epoch ({@link Location.At#epoch}): the store moved.
     */
    default long masterEpoch(String store) { return -1; }

    /**
     * Runs {@code listener} after each change of what the answers come from (a master moved, a
     * node came or went); it must not block. A locator over a table that never changes never calls it.
     */
    default void onChange(Runnable listener) {}
}
