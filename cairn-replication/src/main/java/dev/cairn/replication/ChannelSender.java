// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.*;
import dev.cairn.store.BodyId;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.Reservation;
import dev.cairn.store.replication.SlotReplication;
import dev.cairn.store.replication.UserImage;
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
 * replica stands, then ships every change of the channel's users in order, with reservations and
 * whole-user copies (resync) in between. Up to {@link #WINDOW} Changes frames are in flight at
 * once (the replica applies them while the next ones travel and answers them in order); this
 * thread sends, a second one ({@link #readAnswers}) reads the answers. Reconnects after any
 * failure and resumes from the replica's positions.
 */
final class ChannelSender implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ChannelSender.class);
    /** A replica that stays down fails every reconnect the same way: one line a minute, with a count. */
    private final FailureLog failures = new FailureLog(log);
    private static final int RESYNC_PART = 4 << 20;
    private static final int BATCH_BYTES = 8 << 20;
    /** What the tail of commits not yet shipped may hold (records and bodies); beyond it the log serves. */
    private static final long TAIL_BYTES = 16L << 20;
    /** Frames awaiting their Ack at most (Changes and whole-user copies). */
    static final int WINDOW = 4;
    /** Commit times kept per user for the lag (beyond it the newest ones share one entry). */
    private static final int TIMES_PER_USER = 64;

    private record ReserveRequest(long id, String user, Reservation wanted, CompletableFuture<Void> done) {}

    final StoreMaster master;
    final String replicaNode;
    final InetSocketAddress address;
    final int channel;
    private final SlotStore slot;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Set<String> dirty = new LinkedHashSet<>();
    private final Set<String> resyncs = new LinkedHashSet<>();
    /** Users whose copy here holds changes the master never had: merged first (user -> common seq). */
    private final Map<String, Long> reconciles = new LinkedHashMap<>();
    /** Users not shipped to while their reconciliation runs. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<ReserveRequest> reserves = new ArrayDeque<>();
    /** Reserve frames sent, answered by Reserved (request id -> request). */
    private final Map<Long, ReserveRequest> reserving = new ConcurrentHashMap<>();
    /** Users asked for their diverged records (Reconcile sent, Diverged not read yet) -> common seq. */
    private final Map<String, Long> reconciling = new ConcurrentHashMap<>();
    private final Map<String, Long> acked = new ConcurrentHashMap<>();
    /** The highest seq of each user sent on this connection (only the sending thread writes it). */
    private final Map<String, Long> shipped = new ConcurrentHashMap<>();
    /** Users the replica could not follow from a record on (NeedBodies): shipped again from there. */
    private final Map<String, Long> rewinds = new HashMap<>();
    /** Per user, (seq, System.nanoTime()) of commits not yet acknowledged: the lag and its histogram. */
    private final Map<String, ArrayDeque<long[]>> unacked = new HashMap<>();
    private int inFlight;
    /** When the replica last answered, or a frame left with none in flight before: the reply timeout counts from it. */
    private volatile long lastHeard;
    /** When a frame last left on this connection (only the sending thread writes it). */
    private long lastSent;
    private volatile Exception failure;
    private final Map<String, Set<BodyId>> forced = new HashMap<>();
    private final Map<BodyId, Boolean> sentBodies = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<BodyId, Boolean> e) { return size() > 10_000; }
    };
    /**
     * Per user, the commits made here since the {@code previous} seq of the first one, in order and
     * without a gap, as the commit encoded them and with the bodies it held: shipped from memory
     * instead of read back from the change log and the body store. The log stays the source
     * whenever the tail does not reach back to where shipping resumes (after a reconnect or a
     * rewind, or when a commit was left out because the tail was full or the replica away).
     */
    private final Map<String, ArrayDeque<Committed>> tail = new HashMap<>();
    private long tailBytes;

    private record Committed(long previous, ChangeRecord record, byte[] encoded, Map<BodyId, byte[]> bodies, long bytes) {
        /** A record read back from the change log: encoded again when shipped, bodies read from the store. */
        static Committed fromLog(ChangeRecord record) { return new Committed(-1, record, null, Map.of(), 0); }
    }
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean connected, stopped;
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
        thread = FailureLog.loggedThreads(log, "cairn-repl-" + master.spec.name() + "-" + replicaNode + "-" + channel).start(this);
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

    /** A commit of the user is durable: ship it (and time it until the replica has it). See {@link dev.cairn.store.replication.CommitHook}. */
    void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> bodies) {
        String user = record.user();
        long seq = record.seq();
        long now = System.nanoTime();
        lock.lock();
        try {
            ArrayDeque<long[]> times = unacked.computeIfAbsent(user, u -> new ArrayDeque<>());
            if (times.size() < TIMES_PER_USER) times.add(new long[]{seq, now});
            else times.peekLast()[0] = seq; // counted from an earlier commit: the lag errs on the long side
            keep(user, previous, record, encoded, bodies);
            dirty.add(user);
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: adds the commit to the user's tail, starting it anew after a gap. */
    private void keep(String user, long previous, ChangeRecord record, byte[] encoded, Map<BodyId, byte[]> bodies) {
        ArrayDeque<Committed> q = tail.get(user);
        if (q != null && q.peekLast().record().seq() != previous) {
            dropTail(user); // a record of the user came in between without passing here
            q = null;
        }
        long bytes = encoded.length;
        for (byte[] b : bodies.values()) bytes += b.length;
        if (!connected || tailBytes + bytes > TAIL_BYTES) return; // read from the log when it is shipped
        if (q == null) tail.put(user, q = new ArrayDeque<>());
        q.add(new Committed(previous, record, encoded, bodies, bytes));
        tailBytes += bytes;
    }

    /** Under the lock. */
    private void dropTail(String user) {
        ArrayDeque<Committed> q = tail.remove(user);
        if (q != null) for (Committed k : q) tailBytes -= k.bytes();
    }

    /**
     * The user's commits from seq {@code from} on, out of the tail (at most {@code max} of them, and
     * about {@code maxBytes}), or null when the tail does not hold every record from there: then
     * the change log must be read. Commits below {@code from} (shipped already) are dropped.
     */
    private List<Committed> takeTail(String user, long from, int max, long maxBytes) {
        lock.lock();
        try {
            ArrayDeque<Committed> q = tail.get(user);
            if (q == null) return null;
            while (!q.isEmpty() && q.peekFirst().record().seq() < from) tailBytes -= q.pollFirst().bytes();
            if (q.isEmpty() || q.peekFirst().previous() >= from) {
                // Empty, or records between from and the tail's first are only in the log (the
                // tail's commits that the log read covers are dropped here next time).
                if (q.isEmpty()) tail.remove(user);
                return null;
            }
            List<Committed> out = new ArrayList<>();
            long bytes = 0;
            while (!q.isEmpty() && out.size() < max && bytes < maxBytes) {
                Committed k = q.pollFirst();
                tailBytes -= k.bytes();
                bytes += k.bytes();
                out.add(k);
            }
            if (q.isEmpty()) tail.remove(user);
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** The user has changes to ship. */
    void changed(String user) {
        lock.lock();
        try {
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
    CompletableFuture<Void> reserve(String user, Reservation wanted) {
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

    /** Changes the master has that this replica has not acknowledged (of users changed since this node started or connected). */
    long lagChanges() {
        Set<String> users = new HashSet<>();
        lock.lock();
        try {
            users.addAll(dirty);
            users.addAll(unacked.keySet());
        } finally {
            lock.unlock();
        }
        for (Map.Entry<String, Long> e : shipped.entrySet()) if (e.getValue() > acked.getOrDefault(e.getKey(), 0L)) users.add(e.getKey());
        long n = 0;
        for (String u : users) n += Math.max(0, slot.replication().seq(u) - acked.getOrDefault(u, 0L));
        return n;
    }

    /** How long ago the oldest commit this replica has not acknowledged was made (0: none). */
    long lagMillis() {
        long oldest = Long.MAX_VALUE;
        lock.lock();
        try {
            for (ArrayDeque<long[]> times : unacked.values()) if (!times.isEmpty()) oldest = Math.min(oldest, times.peekFirst()[1]);
        } finally {
            lock.unlock();
        }
        return oldest == Long.MAX_VALUE ? 0 : (System.nanoTime() - oldest) / 1_000_000;
    }

    /** The replica has the user's changes up to seq: they leave the lag, their delay goes to the histogram. */
    private void acknowledged(String user, long seq) {
        long now = System.nanoTime();
        lock.lock();
        try {
            ArrayDeque<long[]> times = unacked.get(user);
            if (times == null) return;
            while (!times.isEmpty() && times.peekFirst()[0] <= seq) master.delay(replicaNode, now - times.poll()[1]);
            if (times.isEmpty()) unacked.remove(user);
        } finally {
            lock.unlock();
        }
    }

    int ackedUsers() { return acked.size(); }

    @Override public void run() {
        while (!stopped) {
            try {
                serve();
            } catch (StaleEpoch e) {
                master.newerEpochSeen(e.epoch, replicaNode);
                return;
            } catch (IOException | FrameCodec.BadFrame e) {
                if (!stopped) failures.warn("replication " + master.spec.name() + " -> " + replicaNode + " channel " + channel
                        + ": " + e.getClass().getSimpleName(), address, String.valueOf(e.getMessage()));
            } catch (RuntimeException | java.lang.Error e) {
                if (!stopped) failures.unexpected("replication " + master.spec.name() + " -> " + replicaNode + " channel " + channel, address, e);
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
            // Shipping resumes from the replica's positions, mostly below the tail: free it.
            tail.clear();
            tailBytes = 0;
            FrameConnection c = connection;
            if (c != null) c.close();
            connection = null;
            for (ReserveRequest r : reserves) r.done().completeExceptionally(new IllegalStateException("disconnected"));
            reserves.clear();
            for (ReserveRequest r : reserving.values()) r.done().completeExceptionally(new IllegalStateException("disconnected"));
            reserving.clear();
            // A merge asked for and not answered is asked for again after the next handshake (from the positions).
            reconciling.clear();
            inFlight = 0;
            failure = null;
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
        // Until the replica has proven the secret, whoever answers at its address gets no large buffer either.
        FrameConnection c = new FrameConnection(socket, FrameCodec.HANDSHAKE_MAX_FRAME);
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
        c.limit(master.tuning.maxFrame());
        c.send(new Auth(Handshake.masterProof(master.secret, nonce, ch.nonce(), store, channel, epoch)));
        Positions positions = expect(c, Positions.class);
        start(positions);
        // From here the reader waits for answers as long as it takes when nothing is in flight;
        // the reply timeout is checked against the oldest frame in flight instead (see below).
        c.setTimeout(0);
        lastSent = System.nanoTime();
        lock.lock();
        try {
            connected = true;
        } finally {
            lock.unlock();
        }
        log.info("replication {} -> {} channel {}: connected at epoch {}, {} users at the replica",
                store, replicaNode, channel, epoch, positions.positions().size());
        Thread reader = FailureLog.loggedThreads(log, "cairn-repl-read-" + store + "-" + replicaNode + "-" + channel)
                .start(() -> readAnswers(c));
        try {
            ship(c);
        } finally {
            c.close();
            reader.interrupt();
            try {
                reader.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Exception f = failure;
        if (f instanceof StaleEpoch se) throw se;
        if (f instanceof FrameCodec.BadFrame bf) throw bf;
        if (f instanceof IOException io) throw io;
        if (f instanceof RuntimeException re) throw re;
    }

    /** The sending side: reservations first, then merges, copies and Changes frames while the window has room. */
    private void ship(FrameConnection c) throws IOException, FrameCodec.BadFrame {
        long replyTimeout = master.tuning.replyTimeout().toNanos();
        while (!stopped && failure == null) {
            ReserveRequest r;
            String resync = null;
            Map.Entry<String, Long> merge = null;
            boolean room;
            lock.lock();
            try {
                r = reserves.poll();
                if (r == null && !reconciles.isEmpty()) {
                    merge = reconciles.entrySet().iterator().next();
                    reconciles.remove(merge.getKey());
                }
                room = inFlight < WINDOW;
                if (r == null && merge == null && room && !resyncs.isEmpty()) {
                    resync = resyncs.iterator().next();
                    resyncs.remove(resync);
                }
            } finally {
                lock.unlock();
            }
            if (r != null) {
                reserveOn(c, r);
                continue;
            }
            if (merge != null) {
                reconcile(c, merge.getKey(), merge.getValue());
                continue;
            }
            if (resync != null) {
                resyncUser(c, resync);
                continue;
            }
            if (room && shipBatch(c)) {
                lastSent = System.nanoTime();
                continue;
            }
            heartbeat(c);
            boolean caughtUp;
            lock.lock();
            try {
                if (inFlight > 0 && System.nanoTime() - lastHeard > replyTimeout) {
                    throw new IOException("replica " + replicaNode + " did not answer within " + master.tuning.replyTimeout());
                }
                caughtUp = inFlight == 0 && dirty.isEmpty();
            } finally {
                lock.unlock();
            }
            // Outside this channel's lock: the store looks at every channel's lag.
            if (caughtUp) master.caughtUp(this);
            lock.lock();
            try {
                boolean idle = reserves.isEmpty() && reconciles.isEmpty() && (inFlight >= WINDOW || dirty.isEmpty() && resyncs.isEmpty());
                if (idle && !stopped && failure == null) work.await(inFlight > 0 ? 100 : 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                if (stopped) return;
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * An idle connection still carries a frame now and then, an empty Changes answered by an empty
     * Ack: a replica that has stopped answering is noticed within the reply timeout even when there
     * is nothing to ship, and a replica that has moved to a newer epoch (promoted, or taken by
     * another master) says so at once instead of at the next write.
     */
    private void heartbeat(FrameConnection c) throws IOException {
        long now = System.nanoTime();
        lock.lock();
        try {
            if (inFlight > 0 || now - lastSent < heartbeatNanos()) return;
            if (inFlight++ == 0) lastHeard = now;
        } finally {
            lock.unlock();
        }
        lastSent = now;
        c.send(new Changes(master.spec.name(), slot.replication().epoch(), List.of()));
    }

    /** A third of the reply timeout, at most 5 s: a silent replica shows within the timeout and a third. */
    private long heartbeatNanos() {
        return Math.min(master.tuning.replyTimeout().toNanos() / 3, 5_000_000_000L);
    }

    /** The reading side: Acks (in the order the frames went), and what the replica asks in between. */
    private void readAnswers(FrameConnection c) {
        try {
            while (!stopped) {
                Frame f = c.read();
                lastHeard = System.nanoTime();
                switch (f) {
                    case Ack a -> {
                        for (Applied ap : a.applied()) {
                            acked.merge(ap.user(), ap.seq(), Math::max);
                            long now = acked.get(ap.user());
                            master.acked(ap.user(), now);
                            acknowledged(ap.user(), now);
                            // Behind with nothing more on the way (it skipped or lost records): ship again.
                            if (shipped.getOrDefault(ap.user(), 0L) <= now && now < slot.replication().seq(ap.user())) changed(ap.user());
                        }
                        lock.lock();
                        try {
                            if (inFlight > 0) inFlight--;
                            work.signal();
                        } finally {
                            lock.unlock();
                        }
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
                            rewinds.merge(nb.user(), nb.seq() - 1, Math::min);
                            dirty.add(nb.user());
                            work.signal();
                        } finally {
                            lock.unlock();
                        }
                    }
                    case NeedResync nr -> {
                        log.info("replication {} -> {}: {} needs a resync: {}", master.spec.name(), replicaNode, nr.user(), nr.reason());
                        resync(nr.user());
                    }
                    case Reserved done -> {
                        ReserveRequest r = reserving.remove(done.request());
                        if (r == null) throw new FrameCodec.BadFrame("reserved " + done.request() + ", never asked for");
                        r.done().complete(null);
                    }
                    case Diverged d -> merged(d);
                    case Frame.Error e -> {
                        if (e.code() == Frame.STALE_EPOCH) throw new StaleEpoch(e.epoch(), e.message());
                        throw new IOException("replica refused: " + e.message());
                    }
                    default -> throw new FrameCodec.BadFrame("unexpected " + FrameCodec.describe(f));
                }
            }
        } catch (IOException | FrameCodec.BadFrame | RuntimeException | java.lang.Error e) {
            lock.lock();
            try {
                // An Error too ends the connection (and is logged by the sending side), instead of the reader dying alone.
                if (failure == null) failure = e instanceof java.lang.Error err ? new IllegalStateException("reading answers failed: " + err, err) : (Exception) e;
                work.signalAll();
            } finally {
                lock.unlock();
            }
            c.close();
        }
    }

    /** The user is gone here (deleted): nothing of it is waited for any more. */
    private void forget(String user) {
        lock.lock();
        try {
            unacked.remove(user);
            dropTail(user);
        } finally {
            lock.unlock();
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
            forced.clear();
            rewinds.clear();
        } finally {
            lock.unlock();
        }
        // Shipping resumes from what the replica has (also for users copied whole or merged first).
        shipped.clear();
        shipped.putAll(acked);
        for (Map.Entry<String, Long> e : acked.entrySet()) {
            master.acked(e.getKey(), e.getValue());
            acknowledged(e.getKey(), e.getValue());
        }
    }

    private void reserveOn(FrameConnection c, ReserveRequest r) throws IOException {
        List<UidCeiling> uids = new ArrayList<>();
        r.wanted().uids().forEach((m, u) -> uids.add(new UidCeiling(m.value(), u)));
        reserving.put(r.id(), r);
        c.send(new Reserve(r.id(), r.user(), r.wanted().seq(), uids, r.wanted().otherUids()));
    }

    /** Sends one Changes frame if anything is waiting; false when there was nothing to send. */
    private boolean shipBatch(FrameConnection c) throws IOException {
        List<String> users;
        lock.lock();
        try {
            // Users the replica stopped at (NeedBodies) are shipped again from there.
            for (Map.Entry<String, Long> e : rewinds.entrySet()) shipped.merge(e.getKey(), e.getValue(), Math::min);
            rewinds.clear();
            if (dirty.isEmpty()) return false;
            users = new ArrayList<>(dirty);
            dirty.clear();
        } finally {
            lock.unlock();
        }
        ChangeLog changeLog = slot.changeLog();
        List<Entry> entries = new ArrayList<>();
        Map<String, Long> last = new HashMap<>();
        long bytes = 0;
        List<String> again = new ArrayList<>();
        int budget = master.tuning.batchRecords();
        for (String user : users) {
            if (held.contains(user)) continue; // shipped (copied) once its merge is done
            lock.lock();
            try {
                if (resyncs.contains(user)) continue; // to be copied whole: its records would be skipped
            } finally {
                lock.unlock();
            }
            if (entries.size() >= budget || bytes >= BATCH_BYTES) { again.add(user); continue; }
            long from = shipped.getOrDefault(user, acked.getOrDefault(user, 0L)) + 1;
            List<Committed> commits;
            try {
                if (!slot.hasUser(user)) {
                    // Gone on the master (deleted and pruned): the replica drops it too.
                    forget(user);
                    if (from > 1) resync(user);
                    continue;
                }
                commits = takeTail(user, from, budget - entries.size(), BATCH_BYTES - bytes);
                if (commits == null) {
                    if (from < changeLog.firstSeq(user)) {
                        resync(user); // the log no longer has what the replica needs
                        continue;
                    }
                    commits = new ArrayList<>();
                    for (ChangeRecord rec : changeLog.read(user, from, budget - entries.size())) commits.add(Committed.fromLog(rec));
                    if (!commits.isEmpty()) takeTail(user, commits.getLast().record().seq() + 1, 0, 0); // drops what the log covered
                }
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
            for (Committed k : commits) {
                ChangeRecord rec = k.record();
                List<Body> bodies = bodiesOf(user, rec, force, k.bodies());
                for (Body b : bodies) bytes += b.bytes().length;
                entries.add(new Entry(user, rec.seq(), k.encoded() != null ? k.encoded() : ChangeCodec.encode(rec), bodies));
                last.put(user, rec.seq());
                if (bytes >= BATCH_BYTES) break;
            }
            Long sent = last.get(user);
            if (sent != null && sent < slot.replication().seq(user)) again.add(user);
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
        lock.lock();
        try {
            if (inFlight++ == 0) lastHeard = System.nanoTime();
        } finally {
            lock.unlock();
        }
        shipped.putAll(last);
        c.send(new Changes(master.spec.name(), epoch, entries));
        return true;
    }

    /** The bodies the record's appends need that this channel has not sent (or must send again), from memory where the commit had them. */
    private List<Body> bodiesOf(String user, ChangeRecord rec, Set<BodyId> force, Map<BodyId, byte[]> inMemory) {
        List<Body> out = new ArrayList<>();
        Set<BodyId> seen = new HashSet<>();
        for (Change ch : rec.changes()) {
            if (!(ch instanceof Change.MessagesAppended a)) continue;
            for (Change.AppendedMessage m : a.messages()) {
                BodyId id = m.body();
                if (!seen.add(id)) continue;
                boolean forcedHere = force != null && force.contains(id);
                if (!forcedHere && sentBodies.containsKey(id)) continue;
                byte[] held = inMemory.get(id);
                if (held != null) {
                    out.add(new Body(id, held));
                    sentBodies.put(id, Boolean.TRUE);
                    continue;
                }
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
    /** Asks the replica for its records after the common point; {@link #merged} takes the answer. */
    private void reconcile(FrameConnection c, String user, long common) throws IOException {
        reconciling.put(user, common);
        c.send(new Reconcile(user, common));
    }

    /** Merges the replica's diverged records here, then copies the user back to it whole. */
    private void merged(Diverged d) throws FrameCodec.BadFrame {
        String user = d.user();
        if (reconciling.remove(user) == null) throw new FrameCodec.BadFrame("diverged records of " + user + ", never asked for");
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
        FailureLog.loggedThreads(log, "cairn-reconcile-" + user).start(() -> {
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

    /** Sends the user whole; its Ack comes in order with the Changes frames. */
    private void resyncUser(FrameConnection c, String user) throws IOException {
        UserImage image = slot.hasUser(user) ? slot.replication().exportUser(user) : null;
        String store = master.spec.name();
        lock.lock();
        try {
            if (inFlight++ == 0) lastHeard = System.nanoTime();
        } finally {
            lock.unlock();
        }
        if (image == null) {
            shipped.remove(user);
            c.send(new Resync(user, -1, true, new byte[0]));
        } else {
            // Records after the image follow it on this connection.
            shipped.put(user, image.seq());
            byte[] bytes = UserImageCodec.encode(image);
            for (int off = 0; ; off += RESYNC_PART) {
                int end = Math.min(bytes.length, off + RESYNC_PART);
                c.send(new Resync(user, image.seq(), end == bytes.length, java.util.Arrays.copyOfRange(bytes, off, end)));
                if (end == bytes.length) break;
            }
        }
        master.resynced(user, replicaNode);
        log.info("replication {} -> {}: copied {} whole (seq {})", store, replicaNode, user, image == null ? -1 : image.seq());
    }
}
