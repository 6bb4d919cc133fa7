// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;

/**
 * How to open a slot.
 *
 * @param metadataDir    the RocksDB directory (fast disk)
 * @param bodiesDir      where the message bodies live (segment files, big disk); may equal metadataDir
 * @param sync           fsync the WAL at every commit group (off only for benchmarks and tests)
 * @param maxMessageSize bodies above it are refused with TOO_BIG
 * @param channels       change-log channels, users hashed onto them
 * @param defaultFolders what a new account gets besides INBOX (which it always gets), in this order, subscribed
 */
public record SlotConfig(Path metadataDir, Path bodiesDir, boolean sync, long maxMessageSize, int channels,
                         QuotaPolicy quota, MeterRegistry meters, List<DefaultFolder> defaultFolders) {
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 64L << 20;
    public static final int DEFAULT_CHANNELS = 8;

    public SlotConfig { defaultFolders = List.copyOf(defaultFolders); }

    /** Embedded defaults under one directory. */
    public static SlotConfig defaults(Path slotDir) {
        return new SlotConfig(slotDir.resolve("meta"), slotDir.resolve("bodies"), true, DEFAULT_MAX_MESSAGE_SIZE,
                DEFAULT_CHANNELS, QuotaPolicy.UNLIMITED, new SimpleMeterRegistry(), DefaultFolder.STANDARD);
    }

    public SlotConfig withSync(boolean sync) {
        return new SlotConfig(metadataDir, bodiesDir, sync, maxMessageSize, channels, quota, meters, defaultFolders);
    }

    public SlotConfig withQuota(QuotaPolicy quota) {
        return new SlotConfig(metadataDir, bodiesDir, sync, maxMessageSize, channels, quota, meters, defaultFolders);
    }

    public SlotConfig withMeters(MeterRegistry meters) {
        return new SlotConfig(metadataDir, bodiesDir, sync, maxMessageSize, channels, quota, meters, defaultFolders);
    }

    public SlotConfig withDefaultFolders(List<DefaultFolder> defaultFolders) {
        return new SlotConfig(metadataDir, bodiesDir, sync, maxMessageSize, channels, quota, meters, defaultFolders);
    }

    public SlotConfig withMaxMessageSize(long maxMessageSize) {
        return new SlotConfig(metadataDir, bodiesDir, sync, maxMessageSize, channels, quota, meters, defaultFolders);
    }
}
