// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.*;
import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.MissingBodies;
import dev.cairn.store.replication.NeedsResync;
import dev.cairn.store.replication.Reservation;
import dev.cairn.store.replication.SlotReplication;
import dev.cairn.store.replication.UserImage;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica side: a listener that masters connect to, one virtual thread per channel. It checks
 * the master's proof and epoch, reports where each user stands, applies Changes (several frames
 * at once, users in parallel, each user's records in order: {@link Pipeline}), records
 * reservations and installs resyncs, answering each frame once what it asked is durable.
 */
final class ReplicaService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaService.class);

    private final Replication node;
    private final ServerSocket server;
    /** One virtual thread per connection; what escapes one is logged (never kept in a Future nobody reads). */
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(FailureLog.loggedThreads(log, "cairn-repl-").name("cairn-repl-", 0).factory());
    private final List<FrameConnection> open = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Admission admission;
    private final FailureLog failures = new FailureLog(log);
    /** Per store and master node (only masters that proved the secret): whether any of its channels is connected, logged once per change. */
    private final Map<String, PeerLink> masters = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ReplicaService(Replication node, InetSocketAddress listen) throws IOException {
        this.node = node;
        this.admission = new Admission(node.config.tuning().maxHandshakes(), node.config.tuning().handshakeTimeout());
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(listen, 64);
        FailureLog.loggedThreads(log, "cairn-repl-accept").start(this::accept);
    }

    InetSocketAddress address() { return (InetSocketAddress) server.getLocalSocketAddress(); }

    List<Replication.MasterLink> masterLinks() {
        List<Replication.MasterLink> out = new ArrayList<>();
        masters.forEach((key, link) -> {
            int cut = key.indexOf('\0');
            PeerLink.State s = link.state();
            out.add(new Replication.MasterLink(key.substring(0, cut), key.substring(cut + 1), s.connected(), s.since(), s.lastFailure()));
        });
        return out;
    }

    private void accept() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                // Out of file descriptors, say: wait a moment instead of spinning on the error.
                failures.warn("replication listener: accept failed", address(), e.toString());
                pause();
                continue;
            }
            Admission.Stranger stranger = closed ? null : admission.admit(s);
            if (stranger == null) {
                if (!closed) failures.warn("replication: refused, " + node.config.tuning().maxHandshakes()
                        + " connections are already in their handshake", s.getRemoteSocketAddress(), "closed at once");
                close(s);
                continue;
            }
            try {
                workers.execute(() -> serve(stranger, s));
            } catch (RejectedExecutionException e) {
                stranger.close();
                close(s);
            }
        }
    }

    private static String where(String store) { return store == null ? "before Hello" : "store " + store; }

    private String lateKind() { return "replication: no handshake within " + admission.deadline().toMillis() + " ms of accept, dropped"; }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /**
     * One master's connection. Until it has proven the cluster secret it is a stranger: frames of
     * at most {@link FrameCodec#HANDSHAKE_MAX_FRAME}, one of a limited number of places, and the
     * handshake deadline from accept (TLS included); then the configured frame limit and no deadline.
     */
    private void serve(Admission.Stranger stranger, Socket plain) {
        SocketAddress peer = stranger.peer();
        int handshakeMillis = (int) Math.min(Integer.MAX_VALUE, admission.deadline().toMillis());
        FrameConnection c = null;
        String store = null;
        PeerLink link = null;
        int channel = -1;
        String ended = "closed by the master";
        try {
            Socket socket;
            try {
                socket = FrameConnection.accepted(plain, node.keys.tls(), handshakeMillis);
            } catch (IOException e) {
                // With TLS on: a plaintext peer, an untrusted certificate, or no certificate at all.
                if (closed) return;
                if (stranger.expired()) failures.warn(lateKind(), peer, "in the TLS handshake");
                else failures.warn("replication: TLS handshake failed", peer, e.toString());
                return;
            }
            c = new FrameConnection(socket, FrameCodec.HANDSHAKE_MAX_FRAME);
            open.add(c);
            c.setTimeout(handshakeMillis);
            Frame first = c.read();
            if (!(first instanceof Hello hello)) throw new FrameCodec.BadFrame("expected Hello, got " + FrameCodec.describe(first));
            store = hello.store();
            if (hello.version() < FrameCodec.OLDEST_VERSION || hello.version() > FrameCodec.VERSION) {
                c.send(new Frame.Error(Frame.VERSION, 0, "protocol version " + hello.version() + " not supported (this node: "
                        + FrameCodec.OLDEST_VERSION + " to " + FrameCodec.VERSION + ")"));
                return;
            }
            SlotStore slot = node.localSlot(hello.store());
            if (slot == null) {
                c.send(new Frame.Error(Frame.UNKNOWN_STORE, 0, "no slot of store " + hello.store() + " on " + node.config.node()));
                return;
            }
            SlotReplication r = slot.replication();
            if (hello.channel() < 0 || hello.channel() >= slot.channels()) throw new FrameCodec.BadFrame("channel " + hello.channel());
            byte[] nonce = Handshake.nonce();
            byte[] secret = node.keys.secret(); // one secret for the whole handshake, even if a reload comes in between
            c.send(new Challenge(node.config.node(), r.epoch(),
                    nonce, Handshake.replicaProof(secret, hello.nonce(), nonce, hello.store(), hello.channel(), hello.epoch())));
            Frame auth = c.read();
            if (!(auth instanceof Auth a) || !Handshake.verify(
                    Handshake.masterProof(secret, hello.nonce(), nonce, hello.store(), hello.channel(), hello.epoch()), a.mac())) {
                failures.warn("replication: failed authentication", peer, "master " + hello.node() + ", store " + hello.store());
                c.send(new Frame.Error(Frame.BAD_AUTH, r.epoch(), "authentication failed"));
                return;
            }
            // Proven: the frames a master sends may be as large as configured, and take as long as they take.
            stranger.proven();
            c.limit(node.config.tuning().maxFrame());
            c.setTimeout(0);
            if (!node.acceptMaster(hello.store(), hello.node(), hello.epoch())) {
                c.send(new Frame.Error(Frame.STALE_EPOCH, r.epoch(), "store " + hello.store() + " is at epoch " + r.epoch()
                        + (node.isMaster(hello.store()) ? " and mastered here" : "")));
                return;
            }
            var ps = r.positions(hello.channel());
            List<Position> out = new ArrayList<>(ps.size());
            for (var p : ps) out.add(new Position(p.user(), p.seq(), p.epoch()));
            c.send(new Positions(hello.store(), r.epoch(), out));
            link = masters.computeIfAbsent(hello.store() + "\0" + hello.node(),
                    k -> new PeerLink(log, "master " + hello.node() + " of store " + hello.store(), "waiting for it to connect again", slot.channels()));
            channel = hello.channel();
            link.connected(channel, hello.epoch());
            loop(c, hello, slot);
        } catch (FrameCodec.BadFrame e) {
            ended = "bad frame: " + e.getMessage();
            failures.warn("replication: bad frame, closing", peer, where(store) + ": " + e.getMessage());
            try {
                c.send(new Frame.Error(Frame.BAD_FRAME, 0, e.getMessage()));
            } catch (IOException ignored) {
                // closing anyway
            }
        } catch (IOException e) {
            ended = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (closed || e instanceof AlreadyLogged) return;
            if (stranger.expired() || e instanceof SocketTimeoutException) {
                failures.warn(lateKind(), peer, where(store));
            } else if (e instanceof EOFException || e instanceof SocketException) {
                log.debug("replication {}: {} closed: {}", store, peer, e.getMessage());
            } else {
                failures.warn("replication: connection failed", peer, where(store) + ": " + e);
            }
        } catch (RuntimeException | java.lang.Error e) {
            ended = e.toString();
            if (!closed) failures.unexpected("replication: connection failed", peer, e);
        } finally {
            // The master cannot be called back: its last channel closing is when it became unreachable
            // (unless this node has become the store's master: then the old one's channels end by design).
            if (link != null && !closed) link.lost(channel, ended, !node.isMaster(store));
            stranger.close();
            if (c != null) {
                open.remove(c);
                c.close();
            }
            close(plain);
        }
    }

    private void loop(FrameConnection c, Hello hello, SlotStore slot) throws IOException, FrameCodec.BadFrame {
        SlotReplication r = slot.replication();
        ImageInstalls images = new ImageInstalls(r, hello.store());
        Pipeline pipeline = new Pipeline(c, hello, r);
        try {
            loop(c, hello, slot, r, images, pipeline);
        } finally {
            pipeline.close();
            images.close();
            // The master is out of reach (or gone): the replica was in sync until now at best.
            if (!closed && !node.isMaster(hello.store())) node.claim(hello.store()).linkLost();
        }
    }

    private void loop(FrameConnection c, Hello hello, SlotStore slot, SlotReplication r,
                      ImageInstalls images, Pipeline pipeline) throws IOException, FrameCodec.BadFrame {
        InSyncClaim claim = node.claim(hello.store());
        while (!closed) {
            Frame f = c.read();
            // Fencing: anything from a master whose epoch was superseded meanwhile is refused.
            if (hello.epoch() < r.epoch() || node.isMaster(hello.store())) {
                pipeline.drain();
                c.send(new Frame.Error(Frame.STALE_EPOCH, r.epoch(), "store " + hello.store() + " moved on to epoch " + r.epoch()));
                return;
            }
            claim.heard();
            // Changes frames are applied while the next ones arrive; anything else waits until they are done.
            if (!(f instanceof Changes)) pipeline.drain();
            switch (f) {
                case Changes ch -> {
                    if (ch.epoch() != hello.epoch() || !ch.store().equals(hello.store())) {
                        throw new FrameCodec.BadFrame("Changes for " + ch.store() + "@" + ch.epoch() + " on a " + hello.store() + "@" + hello.epoch() + " channel");
                    }
                    pipeline.apply(ch);
                }
                case Reserve res -> {
                    Map<MailboxId, Long> uids = new HashMap<>();
                    for (UidCeiling u : res.uids()) uids.merge(new MailboxId(u.mailbox()), u.uid(), Math::max);
                    r.reserve(res.user(), new Reservation(res.seq(), uids, res.otherUids()));
                    c.send(new Reserved(res.request()));
                }
                case Resync rs -> {
                    UserImage image = images.resync(rs);
                    if (image == null) continue;
                    if (image.seq() < 0) r.dropUser(rs.user());
                    else {
                        r.installUser(image);
                        log.info("replication {}: installed a copy of {} at seq {}", hello.store(), rs.user(), image.seq());
                    }
                    copied(c, hello, r, pipeline, rs.user());
                }
                case ImagePart p -> c.send(images.part(p));
                case ImageBodies b -> images.bodies(b);
                case ImageEnd e -> {
                    String incomplete = images.end(e);
                    if (incomplete == null) copied(c, hello, r, pipeline, e.user());
                    else {
                        c.send(new NeedResync(e.user(), incomplete));
                        c.send(new Ack(hello.store(), r.epoch(), List.of(new Applied(e.user(), r.seq(e.user())))));
                    }
                }
                case Reconcile rc -> c.send(Reconciler.diverged(slot, rc, node.config.tuning().maxFrame()));
                case TakeOver t -> c.send(node.takeOver(hello, t)); // after every Changes frame before it (drained above)
                case InSync in -> {
                    if (in.epoch() != hello.epoch() || !in.store().equals(hello.store())) {
                        throw new FrameCodec.BadFrame("InSync for " + in.store() + "@" + in.epoch() + " on a " + hello.store() + "@" + hello.epoch() + " channel");
                    }
                    claim.told(in); // after every Changes frame before it is applied (drained above)
                }
                case Frame.Error e -> {
                    log.warn("replication {}: master {} says: {}", hello.store(), hello.node(), e.message());
                    return;
                }
                default -> throw new FrameCodec.BadFrame("unexpected " + FrameCodec.describe(f));
            }
        }
    }

    /** The user is now the master's copy (or dropped): its records follow from here; answered with its seq. */
    private void copied(FrameConnection c, Hello hello, SlotReplication r, Pipeline pipeline, String user) throws IOException {
        pipeline.unstall(user);
        node.resynced(hello.store(), user);
        c.send(new Ack(hello.store(), r.epoch(), List.of(new Applied(user, r.seq(user)))));
    }

    /** Applying or answering failed, and the pipeline logged why: the connection just ends. */
    private static final class AlreadyLogged extends IOException {
        AlreadyLogged(Throwable cause) { super("applying or answering failed", cause); }
    }

    private sealed interface UserResult {}
    /** The user's records of the frame are applied (or were already); {@code seq}: durable now. */
    private record Done(long seq) implements UserResult {}
    private record Missing(long seq, List<BodyId> bodies) implements UserResult {}
    private record Unfollowable(String reason) implements UserResult {}

    /**
     * The Changes frames of one connection, applied while the next ones arrive (the master keeps
     * several in flight): each user's records in order, after that user's records of earlier
     * frames; users of one frame and of successive frames in parallel; each frame's answers
     * (NeedBodies, NeedResync, then the Ack) sent in the order the frames came.
     *
     * <p>A user whose record could not be applied (bodies missing, or it does not follow) is
     * stalled: its later records already on the way are skipped without complaint, until the
     * master sends the record that follows again (after NeedBodies) or a copy of the user.
     */
    private final class Pipeline {
        /** Frames whose Ack is not sent yet, at most: a master that sends more waits for the oldest. */
        private static final int MAX_PENDING = 32;

        private final FrameConnection c;
        private final Hello hello;
        private final SlotReplication r;
        private final Map<String, CompletableFuture<UserResult>> lastOfUser = new ConcurrentHashMap<>();
        private final Set<String> stalled = ConcurrentHashMap.newKeySet();
        private final ArrayDeque<CompletableFuture<Void>> pending = new ArrayDeque<>();
        private final java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
        private CompletableFuture<Void> answered = CompletableFuture.completedFuture(null);

        Pipeline(FrameConnection c, Hello hello, SlotReplication r) {
            this.c = c;
            this.hello = hello;
            this.r = r;
        }

        void apply(Changes ch) throws IOException, FrameCodec.BadFrame {
            Map<String, List<Entry>> byUser = new LinkedHashMap<>();
            for (Entry e : ch.entries()) byUser.computeIfAbsent(e.user(), u -> new ArrayList<>()).add(e);
            // Decode everything first: a bad record is a bad frame, before anything is applied.
            Map<Entry, ChangeRecord> records = new HashMap<>();
            for (Entry e : ch.entries()) {
                ChangeRecord rec;
                try {
                    rec = ChangeCodec.decode(e.record());
                } catch (IllegalArgumentException ex) {
                    throw new FrameCodec.BadFrame("record " + e.seq() + " of " + e.user() + ": " + ex.getMessage());
                }
                if (!rec.user().equals(e.user()) || rec.seq() != e.seq()) throw new FrameCodec.BadFrame("entry does not match its record");
                records.put(e, rec);
            }
            while (pending.size() >= MAX_PENDING) await(pending.poll());
            Map<String, CompletableFuture<UserResult>> results = new LinkedHashMap<>();
            for (Map.Entry<String, List<Entry>> u : byUser.entrySet()) {
                String user = u.getKey();
                CompletableFuture<UserResult> before = lastOfUser.getOrDefault(user, CompletableFuture.completedFuture(null));
                CompletableFuture<UserResult> mine = before.handle((x, e) -> null)
                        .thenApplyAsync(x -> applyUser(user, u.getValue(), records), workers);
                lastOfUser.put(user, mine);
                mine.whenComplete((x, e) -> lastOfUser.remove(user, mine));
                results.put(user, mine);
            }
            CompletableFuture<Void> applied = CompletableFuture.allOf(results.values().toArray(CompletableFuture[]::new));
            CompletableFuture<Void> previous = answered;
            answered = CompletableFuture.allOf(previous, applied).thenRunAsync(() -> answer(results), workers);
            answered.whenComplete((x, e) -> {
                if (e == null || e instanceof java.util.concurrent.CancellationException) return;
                // The master reconnects and resumes from the positions; the first failure is logged (later frames fail with it).
                if (failed.compareAndSet(false, true) && !closed) {
                    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof IOException) failures.warn("replication: answering failed", c.peer(), "store " + hello.store() + ": " + cause);
                    else failures.unexpected("replication: applying failed", c.peer(), cause);
                }
                c.close();
            });
            pending.add(answered);
            pending.removeIf(CompletableFuture::isDone);
        }

        /** Sent once this frame is applied and every earlier frame answered. */
        private void answer(Map<String, CompletableFuture<UserResult>> results) {
            List<Applied> applied = new ArrayList<>();
            try {
                for (Map.Entry<String, CompletableFuture<UserResult>> e : results.entrySet()) {
                    String user = e.getKey();
                    long seq;
                    switch (e.getValue().join()) {
                        case Done d -> seq = d.seq();
                        case Missing m -> {
                            c.send(new NeedBodies(user, m.seq(), m.bodies()));
                            seq = r.seq(user);
                        }
                        case Unfollowable u -> {
                            c.send(new NeedResync(user, u.reason()));
                            seq = r.seq(user);
                        }
                    }
                    applied.add(new Applied(user, seq));
                }
                c.send(new Ack(hello.store(), r.epoch(), applied));
            } catch (IOException e) {
                // The connection is gone: logged where the future completes, as any failure of applying.
                throw new java.util.concurrent.CompletionException(e);
            }
        }

        /** Waits until every frame received so far is applied and answered. */
        void drain() throws IOException {
            await(answered);
            pending.clear();
        }

        private void await(CompletableFuture<Void> f) throws IOException {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
                throw new AlreadyLogged(e.getCause());
            }
        }

        void unstall(String user) { stalled.remove(user); }

        void close() {
            for (CompletableFuture<Void> f : pending) f.cancel(false);
        }

        private UserResult applyUser(String user, List<Entry> entries, Map<Entry, ChangeRecord> records) {
            long seq = r.seq(user);
            List<ChangeRecord> batch = new ArrayList<>(entries.size());
            Map<BodyId, byte[]> bodies = new HashMap<>();
            for (Entry e : entries) {
                if (stalled.contains(user)) {
                    if (e.seq() != seq + 1) continue; // sent before the master learned of the stall
                    stalled.remove(user);
                }
                batch.add(records.get(e));
                for (Body b : e.bodies()) bodies.put(b.id(), b.bytes());
            }
            if (batch.isEmpty()) return new Done(seq);
            try {
                // The user's records of this frame, consecutive ones in one durable batch.
                return new Done(r.applyAll(user, batch, bodies::get));
            } catch (MissingBodies m) {
                stalled.add(user);
                return new Missing(r.seq(user) + 1, m.bodies());
            } catch (NeedsResync n) {
                stalled.add(user);
                return new Unfollowable(n.getMessage());
            } catch (StoreException | IllegalStateException ex) {
                log.warn("replication: applying {} after seq {} failed: {}", user, r.seq(user), ex.toString());
                stalled.add(user);
                return new Unfollowable("apply failed: " + ex.getMessage());
            }
        }
    }

    @Override public void close() {
        closed = true;
        admission.close();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        synchronized (open) {
            for (FrameConnection c : open) c.close();
        }
        workers.shutdownNow();
        failures.flush();
    }
}
