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
}
