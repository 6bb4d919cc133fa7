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
 * A channel's reservations (UIDs and MODSEQs a commit may hand out only once the replica holds
 * them durably): asked for by committing threads, sent by the channel's sender ahead of anything
 * else, answered by a Reserved frame that completes the asker's future. Thread-safe.
 */
final class ReservationRequests {
    private record Request(long id, String user, Reservation wanted, CompletableFuture<Void> done) {}

    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    /** Reserve frames sent, answered by Reserved (request id -> request). */
    private final Map<Long, Request> sent = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    /** Queues the request; the future completes when the reservation is durable at the replica. */
    synchronized CompletableFuture<Void> add(String user, Reservation wanted) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        waiting.add(new Request(ids.incrementAndGet(), user, wanted, done));
        return done;
    }

    synchronized boolean isEmpty() { return waiting.isEmpty(); }

    /** Sends the oldest waiting request on c; false when none waits. */
    boolean sendNext(FrameConnection c) throws IOException {
        Request r;
        synchronized (this) {
            r = waiting.poll();
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

    /** The channel stopped: the requests not sent yet fail (the asker tries another replica). */
    synchronized void failWaiting(String why) {
        for (Request r : waiting) r.done().completeExceptionally(new IllegalStateException(why));
        waiting.clear();
    }

    /** The connection ended: no answer will come to anything asked on it. */
    synchronized void failAll(String why) {
        failWaiting(why);
        for (Request r : sent.values()) r.done().completeExceptionally(new IllegalStateException(why));
        sent.clear();
    }
}
