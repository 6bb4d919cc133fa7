// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.util.List;

/**
 * The node's memory budget ([memory] total): what the whole process may hold, split once into
 * the parts that can be sized. The split, for a total T:
 *
 * <ul>
 *   <li>{@link #JVM_NATIVE} (96 MiB) for what the JVM holds outside the heap and RocksDB: class
 *       metadata, compiled code, thread stacks, the collector's own tables, the allocator's
 *       arenas (the launcher sets {@code MALLOC_ARENA_MAX=2}); the code cache is capped at
 *       {@link #CODE_CACHE} of it;</li>
 *   <li>of the rest, 70 % the Java heap (-Xmx), of which the commands in flight may hold a
 *       quarter ([limits] command_memory's default);</li>
 *   <li>and 30 % RocksDB ({@link #store()}): one block cache for every slot of the node, with the
 *       memtables charged to it (at most half of it).</li>
 * </ul>
 *
 * <p>The heap must be sized before the JVM starts: `./cairn serve` asks `serve
 * --print-jvm-options` (same options, same config) for {@link #jvmOptions()} first.
 */
public record MemoryConfig(long total) {
    public static final long JVM_NATIVE = 96L << 20;
    public static final long CODE_CACHE = 48L << 20;
    /** The default: a small node (a few hundred connections); raise it for more users in memory. */
    public static final long DEFAULT_TOTAL = 320L << 20;
    /** Below it the heap (about 67 MiB) no longer holds a busy node's sessions. */
    public static final long MIN_TOTAL = 192L << 20;
    public static final long MAX_TOTAL = 1L << 40;

    public MemoryConfig {
        if (total < MIN_TOTAL || total > MAX_TOTAL) {
            throw new IllegalArgumentException("memory total " + total + " is not between " + MIN_TOTAL + " and " + MAX_TOTAL);
        }
    }

    public static MemoryConfig defaults() { return new MemoryConfig(DEFAULT_TOTAL); }

    /** The Java heap's maximum, in whole MiB (what -Xmx takes). */
    public long heap() {
        return (total - JVM_NATIVE) * 7 / 10 >> 20 << 20;
    }

    /** RocksDB's block cache with the memtables charged to it, shared by every slot. */
    public long store() {
        return total - JVM_NATIVE - heap();
    }

    /**
     * The JVM options that make the process keep to the budget. The serial collector: on a small
     * heap and few cores it took less CPU per operation than G1 under `cairn bench imap` (G1's
     * 1 MiB regions make every 1 MiB body buffer a humongous object, and it ran a marking cycle
     * every second; docs/benchmarks.md), and its own tables are smaller.
     *
     * <p>Half the heap young, a sixth of that each survivor space (the JVM's defaults are a
     * third and a tenth): under load many commands are in flight at each collection, each
     * holding a message body; with the defaults they overflowed the survivor spaces into the old
     * generation, which filled every few seconds, and full collections were most of the
     * collector's time (docs/benchmarks.md).
     */
    public List<String> jvmOptions() {
        return options(heap());
    }

    /**
     * A front-end's heap ({@code cairn proxy}): it holds no mail and no RocksDB, so the heap has
     * what the JVM's native part leaves but a fifth, kept for what sockets and TLS hold outside the
     * heap (the JDK's temporary direct buffers of socket reads and writes, the TLS engines' state).
     */
    public long frontendHeap() {
        return (total - JVM_NATIVE) * 4 / 5 >> 20 << 20;
    }

    /** The options of a front-end: the node's collector and code cache, {@link #frontendHeap}. */
    public List<String> frontendJvmOptions() {
        return options(frontendHeap());
    }

    private static List<String> options(long heap) {
        return List.of("-Xmx" + (heap >> 20) + "m", "-XX:+UseSerialGC", "-XX:NewRatio=1", "-XX:SurvivorRatio=4",
                "-XX:ReservedCodeCacheSize=" + (CODE_CACHE >> 20) + "m");
    }
}
