// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.*;
import dev.cairn.replication.MasterHandshake.StaleEpoch;
import dev.cairn.store.BodyId;
import dev.cairn.store.SlotStore;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.Reservation;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's side of one channel to one replica: connects, authenticates, learns where the
 * replica stands, then ships every change of the channel's users in order, with reservations
 * ({@link ReservationRequests}), merges ({@link ChannelReconciliation}) and whole-user copies
 * (resync) in between. Up to {@link #WINDOW} Changes frames are in flight at once (the replica
 * applies them while the next ones travel and answers them in order); this thread sends, a second
 * one ({@link ChannelAnswers}) reads the answers; how far the replica has got is kept in its
 * {@link ChannelProgress}. Reconnects after any failure and resumes from the
 * replica's positions, after a wait that grows while the replica stays away
 * ({@link ReconnectBackoff}); whether the replica is reachable is logged once for all its
 * channels ({@link PeerLink}), not per attempt. It knows its owner only by its
 * {@link ChannelConfig}, the {@link ChannelListener} it tells and the replica's {@link PeerLink}.
 */
final class ChannelSender implements Runnable, ChannelAnswers.Sending {
    private static final Logger log = LoggerFactory.getLogger(ChannelSender.class);
    /** Failures other than the replica being away (refusals, bad frames, a silent replica): one line a minute per kind for all the replica's channels, with a count. */
    private final FailureLog failures;
    /** Frames awaiting their Ack at most (Changes and whole-user copies). */
    static final int WINDOW = 4;

    final ChannelConfig config;
    private final SlotStore slot;
    private final ChannelListener listener;
    private final PeerLink link;
    private final ReconnectBackoff backoff;
    private final CommitTail tail = new CommitTail();
    /** Per user, what was shipped and what the replica acknowledged; its lag. */
    private final ChannelProgress progress;
    private final ReservationRequests reservations = new ReservationRequests();
    private final SentBodies bodies;
    private final ChannelReconciliation reconciliation;
    private final ImageShipping images;
    /** Guards what is to be sent next (dirty, resyncs, rewinds, inFlight) and the connected state; work wakes the sender. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Set<String> dirty = new LinkedHashSet<>();
    private final LinkedHashSet<String> resyncs = new LinkedHashSet<>();
    /** Users the replica could not follow from a record on (NeedBodies): shipped again from there. */
    private final Map<String, Long> rewinds = new HashMap<>();
    private int inFlight;
    /** Frames that await an answer, sent and answered, numbered across connections (what {@link UserDeletions} matches Acks by). */
    private long framesSent, framesAnswered;
    /** When the replica last answered, or a frame left with none in flight before: the reply timeout counts from it. */
    private volatile long lastHeard;
    /** When a frame last left on this connection (only the sending thread writes it). */
    private long lastSent;
    private volatile Exception failure;
    private volatile boolean connected, stopped;
    /** The protocol version said in Hello: {@link FrameCodec#SWITCHLESS_VERSION} once the replica refused the newest. */
    private volatile int version = FrameCodec.VERSION;
    /** A switchover wants an answer from the replica now: the next idle moment sends a heartbeat. */
    private volatile boolean probe;
    /** Handshakes completed (the in-sync set tells a replica its state again after any reconnect). */
    private volatile long connections;
    /** The replica's in-sync state to tell it, newest only (InSyncSet). */
    private final java.util.concurrent.atomic.AtomicReference<Frame.InSync> inSync = new java.util.concurrent.atomic.AtomicReference<>();
    private volatile FrameConnection connection;
    private Thread thread;

    ChannelSender(ChannelConfig config, SlotStore slot, ChannelListener listener, PeerLink link) {
        this.config = config;
        this.slot = slot;
        this.listener = listener;
        this.link = link;
        this.failures = link.failures();
        this.backoff = new ReconnectBackoff(config.tuning().reconnectDelay(), config.tuning().reconnectMax());
        this.bodies = new SentBodies(slot);
        this.progress = new ChannelProgress(slot, listener);
        this.reconciliation = new ChannelReconciliation(slot, config, listener, this::resync);
        this.images = new ImageShipping(slot, config);
    }

    void start() {
        thread = FailureLog.loggedThreads(log, "cairn-repl-" + config.store() + "-" + config.replica() + "-" + config.channel()).start(this);
    }

    void stop() {
        stopped = true;
        FrameConnection c = connection;
        if (c != null) c.close();
        locked(() -> { work.signalAll(); reservations.failWaiting("stopped"); });
        if (thread != null) thread.interrupt();
    }

    boolean connected() { return connected; }

    /** A commit of the user is durable: ship it (and time it until the replica has it). See {@link dev.cairn.store.replication.CommitHook}. */
    void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> bodies) {
        String user = record.user();
        long now = System.nanoTime();
        boolean deletes = record.changes().stream().anyMatch(c -> c instanceof Change.UserDeleted);
        locked(() -> {
            // A new life of the user (created again after a deletion): shipped from its start,
            // and what the replica acknowledged of an earlier life no longer counts.
            if (progress.committed(user, record.seq(), deletes, previous == 0, framesSent, now)) rewinds.put(user, 0L);
            tail.keep(connected, user, previous, record, encoded, bodies);
            dirty.add(user);
            work.signal();
        });
    }

    /** The user has changes to ship. */
    @Override public void changed(String user) { queue(dirty, user); }

    /** The user is to be copied whole. */
    @Override public void resync(String user) { queue(resyncs, user); }

    private void queue(Set<String> queue, String user) {
        locked(() -> {
            queue.add(user);
            work.signal();
        });
    }

    /** Asks the replica to record the reservation; the future completes when it is durable there. */
    CompletableFuture<Void> reserve(String user, Reservation wanted) {
        lock.lock();
        try {
            if (!connected) return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
            CompletableFuture<Void> done = reservations.add(user, wanted);
            work.signal();
            return done;
        } finally {
            lock.unlock();
        }
    }

    long acked(String user) { return progress.acked(user); }

    /** Whether the replica has the user's commit at seq (see {@link ChannelProgress#holds}). */
    boolean holds(String user, long seq) { return progress.holds(user, seq); }

    /** The protocol version of this channel's connections (a replica of version 2 cannot take a switchover). */
    int version() { return version; }

    /** A switchover: asks the replica to take the store over at newEpoch; completes with its answer. */
    CompletableFuture<TakenOver> takeOver(long newEpoch) {
        CompletableFuture<TakenOver> f = reservations.takeOver(new TakeOver(config.store(), slot.replication().epoch(), newEpoch));
        locked(work::signal);
        return f;
    }

    /** A switchover gave up before its TakeOver left: true when it had not (the replica never saw it). */
    boolean withdrawTakeOver() { return reservations.withdrawTakeOver(); }

    /** Has the replica answer a frame soon (a heartbeat when nothing else is on its way). */
    void probe() {
        probe = true;
        locked(work::signal);
    }

    /** Tells the replica its in-sync state (a newer one replaces one not sent yet); sent once connected. */
    void tell(Frame.InSync state) {
        inSync.set(state);
        locked(work::signal);
    }

    long connections() { return connections; }

    /** Connected, and the replica has acknowledged everything it lacked when this connection began. */
    boolean caughtUpSinceConnect() { return connected && progress.caughtUp(); }

    /** Changes the master has that this replica has not acknowledged (of users changed since this node started or connected). */
    long lagChanges() {
        Set<String> waiting = new HashSet<>();
        locked(() -> waiting.addAll(dirty));
        return progress.lagChanges(waiting);
    }

    /** How long ago the oldest commit this replica has not acknowledged was made (0: none). */
    long lagMillis() { return progress.lagMillis(); }

    int ackedUsers() { return progress.ackedUsers(); }

    @Override public void run() {
        while (!stopped) {
            try {
                serve();
            } catch (StaleEpoch e) {
                listener.newerEpoch(e.epoch);
                return;
            } catch (IOException | FrameCodec.BadFrame | RuntimeException | java.lang.Error e) {
                version = FrameCodec.VERSION; // a replica that was of an older protocol may come back upgraded
                if (!stopped) link.channelFailed(config, connected, e);
            } finally {
                disconnected();
            }
            if (stopped) return;
            try {
                Thread.sleep(backoff.next());
            } catch (InterruptedException e) {
                if (stopped) return;
            }
        }
    }

    private void locked(Runnable r) {
        lock.lock();
        try {
            r.run();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: one more frame awaits its Ack; the reply timeout counts from the first in flight. */
    private void inFlightAdd(long now) {
        framesSent++;
        if (inFlight++ == 0) lastHeard = now;
    }

    // --- what the reader (ChannelAnswers) changes here ----------------------------------------

    @Override public boolean stopped() { return stopped; }

    @Override public void heard(long now) { lastHeard = now; }

    @Override public long answering() {
        lock.lock();
        try {
            return ++framesAnswered;
        } finally {
            lock.unlock();
        }
    }

    @Override public void answered() {
        locked(() -> {
            if (inFlight > 0) inFlight--;
            work.signal();
        });
    }

    @Override public void rewind(String user, long seq, List<BodyId> bodies) {
        locked(() -> {
            this.bodies.force(user, bodies);
            rewinds.merge(user, seq - 1, Math::min);
            dirty.add(user);
            work.signal();
        });
    }

    @Override public void failed(Throwable e) {
        locked(() -> {
            // An Error too ends the connection (and is logged by the sending side), instead of the reader dying alone.
            if (failure == null) failure = e instanceof java.lang.Error err ? new IllegalStateException("reading answers failed: " + err, err) : (Exception) e;
            work.signalAll();
        });
    }

    private void disconnected() {
        locked(() -> {
            connected = false;
            tail.clear();
            FrameConnection c = connection;
            if (c != null) c.close();
            connection = null;
            reservations.failAll("disconnected");
            reconciliation.disconnected();
            String copying = images.disconnected();
            if (copying != null) resyncs.add(copying);
            inFlight = 0;
            framesAnswered = framesSent; // unanswered ones never will be: the next connection's count from here
            progress.disconnected();
            failure = null;
        });
    }

    private void serve() throws IOException, FrameCodec.BadFrame {
        Socket socket = FrameConnection.connect(config.address(), config.tls(), 5000);
        // Until the replica has proven the secret, whoever answers at its address gets no large buffer either.
        FrameConnection c = new FrameConnection(socket, FrameCodec.HANDSHAKE_MAX_FRAME);
        connection = c;
        if (stopped) { c.close(); return; }
        long epoch = slot.replication().epoch();
        Positions positions;
        try {
            positions = MasterHandshake.run(c, config, epoch, version);
        } catch (MasterHandshake.OlderReplica e) {
            if (config.channel() == 0) log.info("replication {}: {}", config.describeReplica(), e.getMessage());
            version = FrameCodec.SWITCHLESS_VERSION; // again at once, in the version it speaks
            return;
        }
        backoff.reset();
        start(positions);
        // From here the reader waits for answers as long as it takes when nothing is in flight;
        // the reply timeout is checked against the oldest frame in flight instead (see below).
        c.setTimeout(0);
        lastSent = System.nanoTime();
        locked(() -> {
            connected = true;
            connections++;
        });
        link.connected(config.channel(), epoch);
        log.debug("replication {}: connected at epoch {}, {} users at the replica", config.describe(), epoch, positions.positions().size());
        Thread reader = FailureLog.loggedThreads(log, "cairn-repl-read-" + config.store() + "-" + config.replica() + "-" + config.channel())
                .start(new ChannelAnswers(c, config, slot, link, progress, images, reservations, reconciliation, this));
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
        long replyTimeout = config.tuning().replyTimeout().toNanos();
        while (!stopped && failure == null) {
            Frame.InSync state = inSync.getAndSet(null);
            if (state != null) c.send(state); // lost with the connection: the in-sync set tells it again after the next handshake
            if (reservations.sendNext(c)) continue;
            if (reconciliation.askNext(c)) continue;
            if (images.ready()) {
                ImageShipping.Sent sent = images.step(c, this::awaitingAnswer);
                if (sent != null) {
                    // Records after the copy follow it on this connection.
                    progress.copied(sent.user(), sent.seq());
                    changed(sent.user());
                }
                continue;
            }
            String resync = null;
            boolean room;
            lock.lock();
            try {
                room = inFlight < WINDOW;
                if (room && !resyncs.isEmpty() && !images.active()) resync = resyncs.removeFirst();
            } finally {
                lock.unlock();
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
                    String silent = "replica " + config.replica() + " did not answer within " + config.tuning().replyTimeout();
                    failures.warn("replication " + config.describeReplica() + ": reply timeout", config.address(), "channel " + config.channel() + ": " + silent);
                    throw new IOException(silent);
                }
                caughtUp = inFlight == 0 && dirty.isEmpty() && !images.active();
            } finally {
                lock.unlock();
            }
            // Outside this channel's lock: the store looks at every channel's lag.
            if (caughtUp) listener.caughtUp();
            lock.lock();
            try {
                boolean idle = reservations.isEmpty() && reconciliation.nothingPending() && !images.ready()
                        && (inFlight >= WINDOW || dirty.isEmpty() && (resyncs.isEmpty() || images.active()));
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
            // A third of the reply timeout, at most 5 s: a silent replica shows within the timeout and a third.
            if (inFlight > 0 || !probe && now - lastSent < Math.min(config.tuning().replyTimeout().toNanos() / 3, 5_000_000_000L)) return;
            probe = false;
            inFlightAdd(now);
        } finally {
            lock.unlock();
        }
        lastSent = now;
        c.send(new Changes(config.store(), slot.replication().epoch(), List.of()));
    }

    /** Where the replica stands: users it follows in step are shipped from there; the rest are merged or copied whole. */
    private void start(Positions positions) {
        HandshakePlan plan = HandshakePlan.of(slot, config.channel(), reconciliation, positions);
        progress.handshake(plan);
        locked(() -> {
            dirty.addAll(plan.toShip());
            resyncs.addAll(plan.toCopy());
            bodies.clearForced();
            rewinds.clear();
        });
        // Shipping resumes from what the replica has (also for users copied whole or merged first).
        progress.resume(positions);
    }

    /** Sends one Changes frame if anything is waiting; false when there was nothing to send. */
    private boolean shipBatch(FrameConnection c) throws IOException {
        List<String> users;
        lock.lock();
        try {
            // Users the replica stopped at (NeedBodies) are shipped again from there.
            for (Map.Entry<String, Long> e : rewinds.entrySet()) progress.rewind(e.getKey(), e.getValue());
            rewinds.clear();
            if (dirty.isEmpty()) return false;
            users = new ArrayList<>(dirty);
            dirty.clear();
        } finally {
            lock.unlock();
        }
        ChangesBatch batch = new ChangesBatch(config.tuning().batchRecords());
        for (String user : users) {
            if (reconciliation.holds(user)) continue; // shipped (copied) once its merge is done
            lock.lock();
            try {
                // To be copied whole, or being copied: its records would be skipped (they follow the copy).
                if (resyncs.contains(user) || images.holds(user)) continue;
            } finally {
                lock.unlock();
            }
            batch.add(user, progress.from(user), slot, tail, bodies, progress.lag(), this::resync);
        }
        if (!batch.again.isEmpty()) {
            locked(() -> dirty.addAll(batch.again));
        }
        if (batch.entries.isEmpty()) return !batch.again.isEmpty();
        long epoch = slot.replication().epoch();
        awaitingAnswer();
        progress.shipped(batch.last);
        c.send(new Changes(config.store(), epoch, batch.entries));
        return true;
    }

    /** Starts copying the user whole ({@link ImageShipping}), or has the replica drop a user this slot no longer has. */
    private void resyncUser(FrameConnection c, String user) throws IOException {
        if (slot.hasUser(user) && images.start(c, user, this::awaitingAnswer)) return;
        awaitingAnswer();
        progress.dropped(user);
        c.send(new Resync(user, -1, true, new byte[0])); // gone here: the replica drops it
        log.info("replication {} -> {}: {} is not here; the replica drops it", config.store(), config.replica(), user);
    }

    /** A frame that awaits an answer leaves. */
    private void awaitingAnswer() { locked(() -> inFlightAdd(System.nanoTime())); }
}
