// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.store.DefaultFolder;
import java.nio.file.Path;
import java.util.List;

/**
 * The node's slots. Relative paths are under the data directory.
 *
 * @param metadata       the first slot's RocksDB directory (fast disk)
 * @param bodies         where the first slot's message bodies live (may be another, bigger disk)
 * @param sync           fsync every commit group; off only for tests and benchmarks
 * @param maxMessageSize larger messages are refused (IMAP [TOOBIG], LMTP 552)
 * @param channels       change-log channels that users are hashed onto
 * @param defaultFolders what a new account gets besides INBOX, subscribed ({@link DefaultFolder#STANDARD} unless configured)
 * @param slots          the slots' names, in order ({@link #DEFAULT_SLOTS} unless configured): the first lives at
 *                       {@code metadata} and {@code bodies} (where a one-slot node always kept its slot), every other
 *                       one at {@code slots/NAME/meta} and {@code slots/NAME/bodies}
 */
public record StoreConfig(Path metadata, Path bodies, boolean sync, long maxMessageSize, int channels,
                          List<DefaultFolder> defaultFolders, List<String> slots) {
    public static final List<String> DEFAULT_SLOTS = List.of("s0");
    /** Each slot is a RocksDB of its own (files, background threads): a bound on what a typo opens. */
    public static final int MAX_SLOTS = 64;

    public StoreConfig {
        defaultFolders = List.copyOf(defaultFolders);
        slots = List.copyOf(slots);
        if (slots.isEmpty()) throw new IllegalArgumentException("a node has at least one slot");
    }

    /** One slot, s0. */
    public StoreConfig(Path metadata, Path bodies, boolean sync, long maxMessageSize, int channels, List<DefaultFolder> defaultFolders) {
        this(metadata, bodies, sync, maxMessageSize, channels, defaultFolders, DEFAULT_SLOTS);
    }

    public StoreConfig withSlots(List<String> slots) {
        return new StoreConfig(metadata, bodies, sync, maxMessageSize, channels, defaultFolders, slots);
    }
}
