// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * A node's replication settings (static membership: every node's config names every store's
 * master slot and replica slots).
 *
 * @param node   this node's name
 * @param secret the cluster secret every node shares (HMAC key of the handshake)
 * @param listen where this node's replication listener binds (port 0: any free port)
 * @param peers  every node's replication address, this one's included
 * @param stores the stores this node has a slot of
 * @param tls    null: plain TCP; else every connection, both ways, is TLS with this context, which
 *               presents this node's certificate and trusts only the peers' (see
 *               {@code TlsContexts.mutual}); the HMAC handshake still runs inside it
 */
public record ReplicationConfig(String node, byte[] secret, InetSocketAddress listen, Map<String, InetSocketAddress> peers,
                                List<StoreSpec> stores, Tuning tuning, SSLContext tls) {

    /** Without TLS. */
    public ReplicationConfig(String node, byte[] secret, InetSocketAddress listen, Map<String, InetSocketAddress> peers,
                             List<StoreSpec> stores, Tuning tuning) {
        this(node, secret, listen, peers, stores, tuning, null);
    }

    public enum Mode { SYNC, ASYNC }

    /** A slot on a node: "node/slot". */
    public record SlotRef(String node, String slot) {
        public static SlotRef parse(String s) {
            int i = s.indexOf('/');
            if (i <= 0 || i == s.length() - 1) throw new IllegalArgumentException("not NODE/SLOT: " + s);
            return new SlotRef(s.substring(0, i), s.substring(i + 1));
        }

        @Override public String toString() { return node + "/" + slot; }
    }

    /**
     * What a master does when no replica takes its writes (all unreachable; sync mode: none applied
     * a commit within {@code sync_timeout}): go on alone (the store is degraded: acknowledged
     * writes may be on this node's disk only until a replica is back), or refuse writes until a
     * replica is back (sync mode: 250/OK then always means two disks).
     */
    public enum OnReplicaLoss { DEGRADE, REFUSE }

    /**
     * A store: its name, mode, slots (the master first as configured; promotion changes it at run
     * time) and what its master does without a replica.
     */
    public record StoreSpec(String name, Mode mode, SlotRef master, List<SlotRef> replicas, OnReplicaLoss onReplicaLoss) {
        public StoreSpec { replicas = List.copyOf(replicas); }

        /** Degrading when the replicas are lost (the default). */
        public StoreSpec(String name, Mode mode, SlotRef master, List<SlotRef> replicas) {
            this(name, mode, master, replicas, OnReplicaLoss.DEGRADE);
        }

        public List<SlotRef> slots() {
            java.util.ArrayList<SlotRef> all = new java.util.ArrayList<>();
            all.add(master);
            all.addAll(replicas);
            return all;
        }
    }

    /**
     * @param syncTimeout      how long a sync-mode commit waits for a replica before the store falls back to async
     * @param uidBlock         UIDs reserved ahead per mailbox
     * @param modSeqBlock      MODSEQs reserved ahead per user
     * @param maxFrame         frame size limit once the peer has proven the cluster secret (before: {@link FrameCodec#HANDSHAKE_MAX_FRAME})
     * @param batchRecords     change records per Changes frame at most
     * @param handshakeTimeout how long an accepted connection has, from accept, to finish TLS and prove the secret
     * @param maxHandshakes    accepted connections that have not proven the secret yet, at most (more are closed at once)
     * @param reconnectDelay   a channel's first wait before it connects again; each failure after it doubles the wait
     * @param reconnectMax     the longest wait between two attempts (a replica that is back is connected within it)
     * @param degradedUidWindow UIDs per mailbox a master without a replica may hand out past the last
     *                         reservation a replica acknowledged; a promoted replica jumps past its own
     *                         reservation by as many (so it must be the same on every node of a store)
     * @param resyncChunk      bytes of a user's records per part of a whole-user copy, and of bodies per frame
     *                         (a larger body goes alone); see the module README, "Copying a user whole"
     */
    public record Tuning(Duration syncTimeout, long uidBlock, long modSeqBlock, int maxFrame, int batchRecords,
                         Duration reconnectDelay, Duration replyTimeout, Duration handshakeTimeout, int maxHandshakes,
                         Duration reconnectMax, long degradedUidWindow, int resyncChunk) {
        public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
        public static final int DEFAULT_MAX_HANDSHAKES = 128;
        public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(5);
        /** 2^18: a mailbox gets a new UIDVALIDITY only after this many deliveries without a replica. */
        public static final long DEFAULT_DEGRADED_UID_WINDOW = 262_144;
        public static final int DEFAULT_RESYNC_CHUNK = 1 << 20;
        /** A part's records and a frame of bodies stay well inside the smallest frame limit. */
        public static final int MAX_RESYNC_CHUNK = 16 << 20;

        public Tuning {
            if (maxFrame < FrameCodec.HANDSHAKE_MAX_FRAME) throw new IllegalArgumentException("maxFrame below the handshake's " + FrameCodec.HANDSHAKE_MAX_FRAME);
            if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) throw new IllegalArgumentException("handshakeTimeout must be positive");
            if (maxHandshakes < 1) throw new IllegalArgumentException("maxHandshakes must be at least 1");
            if (reconnectDelay.isNegative() || reconnectDelay.isZero()) throw new IllegalArgumentException("reconnectDelay must be positive");
            if (reconnectMax.compareTo(reconnectDelay) < 0) throw new IllegalArgumentException("reconnectMax must be at least reconnectDelay");
            if (degradedUidWindow < 1) throw new IllegalArgumentException("degradedUidWindow must be at least 1");
            if (resyncChunk < 1024 || resyncChunk > MAX_RESYNC_CHUNK || resyncChunk > maxFrame / 4) {
                throw new IllegalArgumentException("resyncChunk must be from 1 KiB to " + (MAX_RESYNC_CHUNK >> 20) + " MiB and at most a quarter of maxFrame");
            }
        }

        /** With the default copy part size ({@link #DEFAULT_RESYNC_CHUNK}, or a quarter of maxFrame when that is smaller). */
        public Tuning(Duration syncTimeout, long uidBlock, long modSeqBlock, int maxFrame, int batchRecords,
                      Duration reconnectDelay, Duration replyTimeout, Duration handshakeTimeout, int maxHandshakes,
                      Duration reconnectMax, long degradedUidWindow) {
            this(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, reconnectDelay, replyTimeout, handshakeTimeout, maxHandshakes,
                    reconnectMax, degradedUidWindow, Math.min(DEFAULT_RESYNC_CHUNK, maxFrame / 4));
        }

        /** With the default window and copy part size. */
        public Tuning(Duration syncTimeout, long uidBlock, long modSeqBlock, int maxFrame, int batchRecords,
                      Duration reconnectDelay, Duration replyTimeout, Duration handshakeTimeout, int maxHandshakes,
                      Duration reconnectMax) {
            this(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, reconnectDelay, replyTimeout, handshakeTimeout, maxHandshakes,
                    reconnectMax, DEFAULT_DEGRADED_UID_WINDOW);
        }

        /** With the default reconnect cap and copy part size. */
        public Tuning(Duration syncTimeout, long uidBlock, long modSeqBlock, int maxFrame, int batchRecords,
                      Duration reconnectDelay, Duration replyTimeout, Duration handshakeTimeout, int maxHandshakes,
                      long degradedUidWindow) {
            this(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, reconnectDelay, replyTimeout, handshakeTimeout, maxHandshakes,
                    reconnectDelay.compareTo(DEFAULT_RECONNECT_MAX) > 0 ? reconnectDelay : DEFAULT_RECONNECT_MAX, degradedUidWindow);
        }

        /** With the default reconnect cap ({@link #DEFAULT_RECONNECT_MAX}, or reconnectDelay when that is longer), window and copy part size. */
        public Tuning(Duration syncTimeout, long uidBlock, long modSeqBlock, int maxFrame, int batchRecords,
                      Duration reconnectDelay, Duration replyTimeout, Duration handshakeTimeout, int maxHandshakes) {
            this(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, reconnectDelay, replyTimeout, handshakeTimeout, maxHandshakes,
                    DEFAULT_DEGRADED_UID_WINDOW);
        }

        /** With the default handshake deadline and cap. */
        public Tuning(Duration syncTimeout, long uidBlock, long modSeqBlock, int maxFrame, int batchRecords,
                      Duration reconnectDelay, Duration replyTimeout) {
            this(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, reconnectDelay, replyTimeout,
                    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_HANDSHAKES);
        }

        public static Tuning defaults() {
            return new Tuning(Duration.ofSeconds(2), 1000, 10_000, FrameCodec.DEFAULT_MAX_FRAME, 500,
                    Duration.ofMillis(200), Duration.ofSeconds(30));
        }

        public Tuning withHandshake(Duration timeout, int max) {
            return new Tuning(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, reconnectDelay, replyTimeout, timeout, max,
                    reconnectMax, degradedUidWindow, resyncChunk);
        }

        /** With reconnects waiting {@code first}, then doubling up to {@code max}. */
        public Tuning withReconnect(Duration first, Duration max) {
            return new Tuning(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, first, replyTimeout, handshakeTimeout,
                    maxHandshakes, max, degradedUidWindow, resyncChunk);
        }

        public Tuning withDegradedUidWindow(long window) {
            return new Tuning(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, reconnectDelay, replyTimeout,
                    handshakeTimeout, maxHandshakes, reconnectMax, window, resyncChunk);
        }

        public Tuning withResyncChunk(int bytes) {
            return new Tuning(syncTimeout, uidBlock, modSeqBlock, maxFrame, batchRecords, reconnectDelay, replyTimeout,
                    handshakeTimeout, maxHandshakes, reconnectMax, degradedUidWindow, bytes);
        }
    }

    /** The peers whose replication address is not on loopback (or does not resolve): their traffic crosses a network. */
    public List<String> peersOffLoopback() {
        return peers.entrySet().stream()
                .filter(e -> e.getValue().getAddress() == null || !e.getValue().getAddress().isLoopbackAddress())
                .map(Map.Entry::getKey).sorted().toList();
    }

    public StoreSpec store(String name) {
        return stores.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no store " + name));
    }
}
