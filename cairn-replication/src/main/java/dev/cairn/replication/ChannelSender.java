// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.*;
import dev.cairn.store.BodyId;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.rocks.RocksSlotStore;
import dev.cairn.store.rocks.SlotReplication;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's side of one channel to one replica: connects, authenticates, learns where the
 * replica stands, then ships every change of the channel's users in order, one Changes frame per
 * round trip (records that accumulate meanwhile share the next frame), with reservations and
 * whole-user copies (resync) in between. Reconnects after any failure and resumes from the
 * replica's positions.
 */
final class ChannelSender implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ChannelSender.class);
    private static final int RESYNC_PART = 4 << 20;
    private static final int BATCH_BYTES = 8 << 20;

    private record ReserveRequest(long id, String user, SlotReplication.Reservation wanted, CompletableFuture<Void> done) {}

    final StoreMaster master;
    final String replicaNode;
    final InetSocketAddress address;
    final int channel;
    private final RocksSlotStore slot;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Set<String> dirty = new LinkedHashSet<>();
    private final Set<String> resyncs = new LinkedHashSet<>();
    /** Users whose copy here holds changes the master never had: merged first (user -> common seq). */
    private final Map<String, Long> reconciles = new LinkedHashMap<>();
    /** Users not shipped to while their reconciliation runs. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<ReserveRequest> reserves = new ArrayDeque<>();
    private final Map<String, Long> acked = new ConcurrentHashMap<>();
    private final Map<String, Set<BodyId>> forced = new HashMap<>();
    private final Map<BodyId, Boolean> sentBodies = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<BodyId, Boolean> e) { return size() > 10_000; }
    };
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean connected, stopped;
    private volatile long oldestUnackedNanos;
    private volatile FrameConnection connection;
    private Thread thread;

    ChannelSender(StoreMaster master, String replicaNode, InetSocketAddress address, int channel) {
        this.master = master;
        this.replicaNode = replicaNode;
        this.address = address;
        this.channel = channel;
        this.slot = master.slot;
    }

    void start() {
        thread = Thread.ofVirtual().name("cairn-repl-" + master.spec.name() + "-" + replicaNode + "-" + channel).start(this);
    }

    void stop() {
        stopped = true;
        FrameConnection c = connection;
        if (c != null) c.close();
        lock.lock();
        try {
            work.signalAll();
            for (ReserveRequest r : reserves) r.done().completeExceptionally(new IllegalStateException("stopped"));
            reserves.clear();
        } finally {
            lock.unlock();
        }
        if (thread != null) thread.interrupt();
    }

    boolean connected() { return connected; }

    /** A commit of the user is durable: ship it. */
    void changed(String user) {
        lock.lock();
        try {
            if (dirty.isEmpty() && oldestUnackedNanos == 0) oldestUnackedNanos = System.nanoTime();
            dirty.add(user);
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    void resync(String user) {
        lock.lock();
        try {
            resyncs.add(user);
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Asks the replica to record the reservation; the future completes when it is durable there. */
    CompletableFuture<Void> reserve(String user, SlotReplication.Reservation wanted) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        lock.lock();
        try {
            if (!connected) {
                done.completeExceptionally(new IllegalStateException("not connected"));
                return done;
            }
            reserves.add(new ReserveRequest(requests.incrementAndGet(), user, wanted, done));
            work.signal();
        } finally {
            lock.unlock();
        }
        return done;
    }

    long acked(String user) { return acked.getOrDefault(user, -1L); }

    /** Changes the master has that this replica has not acknowledged (users waiting to be shipped). */
    long lagChanges() {
        long n = 0;
        List<String> users;
        lock.lock();
        try {
            users = new ArrayList<>(dirty);
        } finally {
            lock.unlock();
        }
        for (String u : users) n += Math.max(0, slot.replication().seq(u) - acked.getOrDefault(u, 0L));
        return n;
    }

    long lagMillis() {
        long t = oldestUnackedNanos;
        return t == 0 ? 0 : (System.nanoTime() - t) / 1_000_000;
    }

    int ackedUsers() { return acked.size(); }

    @Override public void run() {
        while (!stopped) {
            try {
                serve();
            } catch (StaleEpoch e) {
                master.newerEpochSeen(e.epoch, replicaNode);
                return;
            } catch (IOException | FrameCodec.BadFrame | RuntimeException e) {
                if (!stopped) log.warn("replication {} -> {} channel {}: {}", master.spec.name(), replicaNode, channel, e.toString());
            } finally {
                disconnected();
            }
            if (stopped) return;
            try {
                Thread.sleep(master.tuning.reconnectDelay());
            } catch (InterruptedException e) {
                if (stopped) return;
            }
        }
    }

    private void disconnected() {
        lock.lock();
        try {
            connected = false;
            FrameConnection c = connection;
            if (c != null) c.close();
            connection = null;
            for (ReserveRequest r : reserves) r.done().completeExceptionally(new IllegalStateException("disconnected"));
            reserves.clear();
        } finally {
            lock.unlock();
        }
    }

    private static final class StaleEpoch extends RuntimeException {
        final long epoch;

        StaleEpoch(long epoch, String message) {
            super(message, null, false, false);
            this.epoch = epoch;
        }
    }

    private void serve() throws IOException, FrameCodec.BadFrame {
        Socket socket = FrameConnection.connect(address, master.tls, 5000);
        FrameConnection c = new FrameConnection(socket, master.tuning.maxFrame());
        connection = c;
        if (stopped) { c.close(); return; }
        c.setTimeout((int) master.tuning.replyTimeout().toMillis());
        long epoch = slot.replication().epoch();
        byte[] nonce = Handshake.nonce();
        String store = master.spec.name();
        c.send(new Hello(FrameCodec.VERSION, master.node, store, epoch, channel, nonce));
        Challenge ch = expect(c, Challenge.class);
        if (!Handshake.verify(Handshake.replicaProof(master.secret, nonce, ch.nonce(), store, channel, epoch), ch.mac())) {
            c.send(new Frame.Error(Frame.BAD_AUTH, epoch, "replica proof does not match the cluster secret"));
            throw new IOException("replica " + replicaNode + " failed authentication");
        }
        c.send(new Auth(Handshake.masterProof(master.secret, nonce, ch.nonce(), store, channel, epoch)));
        Positions positions = expect(c, Positions.class);
        start(positions);
        lock.lock();
        try {
            connected = true;
        } finally {
            lock.unlock();
        }
        log.info("replication {} -> {} channel {}: connected at epoch {}, {} users at the replica",
                store, replicaNode, channel, epoch, positions.positions().size());
        while (!stopped) {
            ReserveRequest r;
            String resync;
            lock.lock();
            try {
                r = reserves.poll();
                resync = r == null ? (resyncs.isEmpty() ? null : resyncs.iterator().next()) : null;
                if (resync != null) resyncs.remove(resync);
            } finally {
                lock.unlock();
            }
            if (r != null) {
                reserveOn(c, r);
                continue;
            }
            Map.Entry<String, Long> merge = null;
            lock.lock();
            try {
                if (!reconciles.isEmpty()) {
                    merge = reconciles.entrySet().iterator().next();
                    reconciles.remove(merge.getKey());
                }
            } finally {
                lock.unlock();
            }
            if (merge != null) {
                reconcile(c, merge.getKey(), merge.getValue());
                continue;
            }
            if (resync != null) {
                resyncUser(c, resync);
                continue;
            }
            if (!shipBatch(c)) {
                lock.lock();
                try {
                    if (dirty.isEmpty()) {
                        oldestUnackedNanos = 0;
                        master.caughtUp(this);
                    }
                    if (dirty.isEmpty() && reserves.isEmpty() && resyncs.isEmpty() && !stopped) {
                        work.await(1, java.util.concurrent.TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    if (stopped) return;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private <T extends Frame> T expect(FrameConnection c, Class<T> type) throws IOException, FrameCodec.BadFrame {
        Frame f = c.read();
        if (f instanceof Frame.Error e) {
            if (e.code() == Frame.STALE_EPOCH) throw new StaleEpoch(e.epoch(), e.message());
            throw new IOException("replica " + replicaNode + " refused: " + e.message());
        }
        if (!type.isInstance(f)) throw new FrameCodec.BadFrame("expected " + type.getSimpleName() + ", got " + FrameCodec.describe(f));
        return type.cast(f);
    }

    /** Where the replica stands: users it follows in step are shipped from there; the rest are copied whole. */
    private void start(Positions positions) {
        acked.clear();
        Map<String, Position> at = new HashMap<>();
        for (Position p : positions.positions()) at.put(p.user(), p);
        SlotReplication r = slot.replication();
        ChangeLog log = slot.changeLog();
        Set<String> toShip = new LinkedHashSet<>(), toCopy = new LinkedHashSet<>();
        Map<String, Long> toMerge = new LinkedHashMap<>();
        for (String user : slot.users()) {
            if (slot.channelOf(user) != channel) continue;
            Position p = at.remove(user);
            long mine = r.seq(user);
            long pos = p == null ? 0 : p.seq();
            if (p != null && pos > 0) {
                long myEpoch = r.recordEpoch(user, pos);
                boolean diverged = pos > mine || (myEpoch != -1 && myEpoch != p.recordEpoch())
                        || (myEpoch == -1 && pos >= log.firstSeq(user));
                if (diverged) {
                    master.diverged(user, replicaNode, pos, p.recordEpoch());
                    toMerge.put(user, commonPoint(user, pos, p.recordEpoch()));
                    continue;
                }
            }
            acked.put(user, pos);
            if (mine > pos) toShip.add(user);
        }
        long epochNow = r.epoch();
        for (Position p : at.values()) {
            // Users only the replica has: from a former master (older epoch), merged; else dropped there.
            if (p.recordEpoch() >= 0 && p.recordEpoch() < epochNow) {
                master.diverged(p.user(), replicaNode, p.seq(), p.recordEpoch());
                toMerge.put(p.user(), 0L);
            } else {
                toCopy.add(p.user());
            }
        }
        lock.lock();
        try {
            dirty.addAll(toShip);
            resyncs.addAll(toCopy);
            reconciles.putAll(toMerge);
            held.addAll(toMerge.keySet());
            if (!dirty.isEmpty() && oldestUnackedNanos == 0) oldestUnackedNanos = System.nanoTime();
            forced.clear();
        } finally {
            lock.unlock();
        }
        for (Map.Entry<String, Long> e : acked.entrySet()) master.acked(e.getKey(), e.getValue());
    }

    private void reserveOn(FrameConnection c, ReserveRequest r) throws IOException, FrameCodec.BadFrame {
        List<UidCeiling> uids = new ArrayList<>();
        r.wanted().uids().forEach((m, u) -> uids.add(new UidCeiling(m.value(), u)));
        c.send(new Reserve(r.id(), r.user(), r.wanted().seq(), uids, r.wanted().otherUids()));
        Reserved done = expect(c, Reserved.class);
        if (done.request() != r.id()) throw new FrameCodec.BadFrame("reserved " + done.request() + ", expected " + r.id());
        r.done().complete(null);
    }

    /** Sends one Changes frame if anything is waiting, and handles its answers; false when idle. */
    private boolean shipBatch(FrameConnection c) throws IOException, FrameCodec.BadFrame {
        List<String> users;
        lock.lock();
        try {
            if (dirty.isEmpty()) return false;
            users = new ArrayList<>(dirty);
            dirty.clear();
        } finally {
            lock.unlock();
        }
        ChangeLog changeLog = slot.changeLog();
        List<Entry> entries = new ArrayList<>();
        long bytes = 0;
        List<String> again = new ArrayList<>();
        int budget = master.tuning.batchRecords();
        for (int i = 0; i < users.size(); i++) {
            String user = users.get(i);
            if (held.contains(user)) continue; // shipped (copied) once its merge is done
            if (entries.size() >= budget || bytes >= BATCH_BYTES) { again.add(user); continue; }
            long from = acked.getOrDefault(user, 0L) + 1;
            List<ChangeRecord> records;
            try {
                if (!slot.hasUser(user)) {
                    // Gone on the master (deleted and pruned): the replica drops it too.
                    if (from > 1) resync(user);
                    continue;
                }
                if (from < changeLog.firstSeq(user)) {
                    resync(user); // the log no longer has what the replica needs
                    continue;
                }
                records = changeLog.read(user, from, budget - entries.size());
            } catch (StoreException e) {
                continue;
            }
            Set<BodyId> force;
            lock.lock();
            try {
                force = forced.remove(user);
            } finally {
                lock.unlock();
            }
            for (ChangeRecord rec : records) {
                List<Body> bodies = bodiesOf(user, rec, force);
                for (Body b : bodies) bytes += b.bytes().length;
                entries.add(new Entry(user, rec.seq(), ChangeCodec.encode(rec), bodies));
                if (bytes >= BATCH_BYTES) break;
            }
            if (!records.isEmpty() && records.getLast().seq() < slot.replication().seq(user)) again.add(user);
        }
        if (!again.isEmpty()) {
            lock.lock();
            try {
                dirty.addAll(again);
            } finally {
                lock.unlock();
            }
        }
        if (entries.isEmpty()) return !again.isEmpty();
        long epoch = slot.replication().epoch();
        c.send(new Changes(master.spec.name(), epoch, entries));
        awaitAck(c);
        return true;
    }

    private void awaitAck(FrameConnection c) throws IOException, FrameCodec.BadFrame {
        while (true) {
            Frame f = c.read();
            switch (f) {
                case Ack a -> {
                    for (Applied ap : a.applied()) {
                        acked.put(ap.user(), ap.seq());
                        master.acked(ap.user(), ap.seq());
                        if (ap.seq() < slot.replication().seq(ap.user())) changed(ap.user());
                    }
                    return;
                }
                case NeedBodies nb -> {
                    if (!nb.bodies().stream().allMatch(slot.replication()::hasBody)) {
                        // Expunged here since: that record can never be applied as it was; copy the user.
                        resync(nb.user());
                        continue;
                    }
                    lock.lock();
                    try {
                        forced.computeIfAbsent(nb.user(), u -> new HashSet<>()).addAll(nb.bodies());
                    } finally {
                        lock.unlock();
                    }
                    for (BodyId b : nb.bodies()) sentBodies.remove(b);
                    changed(nb.user());
                }
                case NeedResync nr -> {
                    log.info("replication {} -> {}: {} needs a resync: {}", master.spec.name(), replicaNode, nr.user(), nr.reason());
                    resync(nr.user());
                }
                case Frame.Error e -> {
                    if (e.code() == Frame.STALE_EPOCH) throw new StaleEpoch(e.epoch(), e.message());
                    throw new IOException("replica refused: " + e.message());
                }
                default -> throw new FrameCodec.BadFrame("unexpected " + FrameCodec.describe(f));
            }
        }
    }

    private List<Body> bodiesOf(String user, ChangeRecord rec, Set<BodyId> force) {
        List<Body> out = new ArrayList<>();
        Set<BodyId> seen = new HashSet<>();
        for (Change ch : rec.changes()) {
            if (!(ch instanceof Change.MessagesAppended a)) continue;
            for (Change.AppendedMessage m : a.messages()) {
                BodyId id = m.body();
                if (!seen.add(id)) continue;
                boolean forcedHere = force != null && force.contains(id);
                if (!forcedHere && sentBodies.containsKey(id)) continue;
                try (InputStream in = slot.user(user).openBody(id)) {
                    out.add(new Body(id, in.readAllBytes()));
                    sentBodies.put(id, Boolean.TRUE);
                } catch (IOException | StoreException e) {
                    // Gone since (expunged): the replica asks, and a resync settles it.
                }
            }
        }
        return out;
    }

    /**
     * The last seq both sides share: the master's last record at or below the replica's position
     * written in an epoch no newer than the replica's record there (records after it on the
     * replica are the former master's own, which never reached this one).
     */
    private long commonPoint(String user, long pos, long replicaEpoch) {
        ChangeLog changeLog = slot.changeLog();
        long common = Math.max(0, changeLog.firstSeq(user) - 1);
        for (long from = 0; from <= pos; ) {
            List<ChangeRecord> rs = changeLog.read(user, from, 1000);
            if (rs.isEmpty()) break;
            for (ChangeRecord rec : rs) {
                if (rec.seq() > pos) return common;
                if (rec.epoch() <= replicaEpoch) common = rec.seq();
                from = rec.seq() + 1;
            }
        }
        return common;
    }

    /** Asks the replica for its records after the common point, merges them here, then copies the user back whole. */
    private void reconcile(FrameConnection c, String user, long common) throws IOException, FrameCodec.BadFrame {
        c.send(new Reconcile(user, common));
        Diverged d = expect(c, Diverged.class);
        if (!d.user().equals(user)) throw new FrameCodec.BadFrame("diverged records of " + d.user() + ", asked for " + user);
        List<ChangeRecord> tail = new ArrayList<>();
        for (byte[] b : d.records()) {
            try {
                tail.add(ChangeCodec.decode(b));
            } catch (IllegalArgumentException e) {
                throw new FrameCodec.BadFrame("diverged record: " + e.getMessage());
            }
        }
        Map<BodyId, byte[]> bodies = new HashMap<>();
        for (Body b : d.bodies()) bodies.put(b.id(), b.bytes());
        // The merge commits through the store, which may need a reservation on this very channel:
        // it runs beside this thread, and the user is copied back to the replica when it is done.
        Thread.ofVirtual().name("cairn-reconcile-" + user).start(() -> {
            try {
                List<String> lines = new Reconciler(slot, replicaNode).merge(user, tail, bodies);
                master.reconciled(user, replicaNode, tail.size(), lines);
            } catch (RuntimeException e) {
                log.error("replication {}: merging {} from {} failed; copying the master's version", master.spec.name(), user, replicaNode, e);
                master.reconciled(user, replicaNode, tail.size(), List.of(user + ": merge failed: " + e.getMessage()));
            } finally {
                held.remove(user);
                resync(user);
            }
        });
    }

    private void resyncUser(FrameConnection c, String user) throws IOException, FrameCodec.BadFrame {
        SlotReplication.UserImage image = slot.hasUser(user) ? slot.replication().exportUser(user) : null;
        String store = master.spec.name();
        if (image == null) {
            c.send(new Resync(user, -1, true, new byte[0]));
        } else {
            byte[] bytes = image.encode();
            for (int off = 0; ; off += RESYNC_PART) {
                int end = Math.min(bytes.length, off + RESYNC_PART);
                c.send(new Resync(user, image.seq(), end == bytes.length, java.util.Arrays.copyOfRange(bytes, off, end)));
                if (end == bytes.length) break;
            }
        }
        master.resynced(user, replicaNode);
        log.info("replication {} -> {}: copied {} whole (seq {})", store, replicaNode, user, image == null ? -1 : image.seq());
        awaitAck(c);
        if (image != null && slot.replication().seq(user) > image.seq()) changed(user);
    }
}
