// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Reserve;
import dev.cairn.replication.Frame.UidCeiling;
import dev.cairn.store.replication.Reservation;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A channel's requests that the replica answers out of the Changes stream: reservations (UIDs and
 * MODSEQs a commit may hand out only once the replica holds them durably), asked for by committing
 * threads and answered by Reserved, and a switchover's {@link Frame.TakeOver} (at most one at a
 * time), answered by {@link Frame.TakenOver}. Sent by the channel's sender ahead of anything else;
 * each answer completes its asker's future. Thread-safe.
 */
final class ReservationRequests {
    private record Request(long id, String user, Reservation wanted, CompletableFuture<Void> done) {}

    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    /** Reserve frames sent, answered by Reserved (request id -> request). */
    private final Map<Long, Request> sent = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    /** A switchover's TakeOver to send (null: none), and the one sent awaiting its TakenOver. */
    private Frame.TakeOver takeOver;
    private CompletableFuture<Frame.TakenOver> takeOverAnswer;
    private boolean takeOverSent;

    /** Queues the request; the future completes when the reservation is durable at the replica. */
    synchronized CompletableFuture<Void> add(String user, Reservation wanted) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        waiting.add(new Request(ids.incrementAndGet(), user, wanted, done));
        return done;
    }

    /** Queues a switchover's TakeOver; the future completes with the replica's answer. */
    synchronized CompletableFuture<Frame.TakenOver> takeOver(Frame.TakeOver t) {
        if (takeOverAnswer != null) return CompletableFuture.failedFuture(new IllegalStateException("a switchover is under way"));
        takeOver = t;
        takeOverSent = false;
        takeOverAnswer = new CompletableFuture<>();
        return takeOverAnswer;
    }

    synchronized boolean isEmpty() { return waiting.isEmpty() && (takeOver == null || takeOverSent); }

    /** Sends the oldest waiting request on c (a TakeOver after the reservations); false when none waits. */
    boolean sendNext(FrameConnection c) throws IOException {
        Request r;
        Frame.TakeOver t = null;
        synchronized (this) {
            r = waiting.poll();
            if (r == null && takeOver != null && !takeOverSent) {
                t = takeOver;
                takeOverSent = true;
            }
        }
        if (t != null) {
            c.send(t);
            return true;
        }
        if (r == null) return false;
        List<UidCeiling> uids = new ArrayList<>();
        r.wanted().uids().forEach((m, u) -> uids.add(new UidCeiling(m.value(), u)));
        sent.put(r.id(), r);
        c.send(new Reserve(r.id(), r.user(), r.wanted().seq(), uids, r.wanted().otherUids()));
        return true;
    }

    /** The replica's Reserved for request id. */
    void reserved(long id) throws FrameCodec.BadFrame {
        Request r = sent.remove(id);
        if (r == null) throw new FrameCodec.BadFrame("reserved " + id + ", never asked for");
        r.done().complete(null);
    }

    /** Withdraws a TakeOver not sent yet: true when it was (the replica never saw it), false when it went out or none waits. */
    synchronized boolean withdrawTakeOver() {
        if (takeOverAnswer == null || takeOverSent) return false;
        failTakeOver("withdrawn");
        return true;
    }

    /** The replica's answer to the TakeOver sent. */
    void takenOver(Frame.TakenOver answer) throws FrameCodec.BadFrame {
        CompletableFuture<Frame.TakenOver> f;
        synchronized (this) {
            if (!takeOverSent) throw new FrameCodec.BadFrame("TakenOver, never asked for");
            f = takeOverAnswer;
            takeOver = null;
            takeOverAnswer = null;
        }
        f.complete(answer);
    }

    /** The channel stopped: the requests not sent yet fail (the asker tries another replica). */
    synchronized void failWaiting(String why) {
        for (Request r : waiting) r.done().completeExceptionally(new IllegalStateException(why));
        waiting.clear();
        if (takeOverAnswer != null && !takeOverSent) failTakeOver(why);
    }

    private void failTakeOver(String why) {
        takeOverAnswer.completeExceptionally(new IllegalStateException(why));
        takeOver = null;
        takeOverAnswer = null;
    }

    /** The connection ended: no answer will come to anything asked on it. */
    synchronized void failAll(String why) {
        failWaiting(why);
        for (Request r : sent.values()) r.done().completeExceptionally(new IllegalStateException(why));
        sent.clear();
        if (takeOverAnswer != null) failTakeOver(why);
    }
}
