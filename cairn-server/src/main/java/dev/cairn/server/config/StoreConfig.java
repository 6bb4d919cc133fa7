// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.store.DefaultFolder;
import java.nio.file.Path;
import java.util.List;

/**
 * The node's slot. Relative paths are under the data directory.
 *
 * @param metadata       the RocksDB directory (fast disk)
 * @param bodies         where message bodies live (may be another, bigger disk)
 * @param sync           fsync every commit group; off only for tests and benchmarks
 * @param maxMessageSize larger messages are refused (IMAP [TOOBIG], LMTP 552)
 * @param channels       change-log channels that users are hashed onto
 * @param defaultFolders what a new account gets besides INBOX, subscribed ({@link DefaultFolder#STANDARD} unless configured)
 */
public record StoreConfig(Path metadata, Path bodies, boolean sync, long maxMessageSize, int channels,
                          List<DefaultFolder> defaultFolders) {
    public StoreConfig { defaultFolders = List.copyOf(defaultFolders); }
}
