// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The replica listener's budget for connections whose peer has not proven the cluster secret
 * yet: at most {@code max} at once (more are closed as they are accepted), and each has
 * {@code deadline} from accept to finish TLS and the HMAC handshake, however slowly its bytes
 * trickle in (a per-read timeout would let a byte every 29 s hold the connection forever).
 */
final class Admission implements AutoCloseable {
    private final Semaphore places;
    private final Duration deadline;
    private final ScheduledThreadPoolExecutor timer;

    Admission(int max, Duration deadline) {
        this.places = new Semaphore(max);
        this.deadline = deadline;
        this.timer = (ScheduledThreadPoolExecutor) Executors.newScheduledThreadPool(1,
                Thread.ofPlatform().daemon().name("cairn-repl-handshake-deadline").factory());
        timer.setRemoveOnCancelPolicy(true);
    }

    Duration deadline() { return deadline; }

    /** The accepted connection's place among the unproven, its deadline running; null when all places are taken. */
    Stranger admit(Socket plain) {
        if (!places.tryAcquire()) return null;
        return new Stranger(plain);
    }

    /** One accepted connection until its peer proves the secret or it ends. */
    final class Stranger implements AutoCloseable {
        private final Socket plain;
        private final SocketAddress peer;
        private final ScheduledFuture<?> timeout;
        private boolean done, expired;

        private Stranger(Socket plain) {
            this.plain = plain;
            this.peer = plain.getRemoteSocketAddress();
            this.timeout = timer.schedule(this::expire, deadline.toMillis(), TimeUnit.MILLISECONDS);
        }

        SocketAddress peer() { return peer; }

        /** Whether the deadline closed the connection. */
        synchronized boolean expired() { return expired; }

        private synchronized void expire() {
            if (done) return;
            expired = true;
            try {
                plain.close(); // the plain socket: closing a TLS socket mid-handshake may wait for the handshake
            } catch (IOException ignored) {
                // closed anyway
            }
        }

        /** The peer proved the secret: no deadline any more, and its place is free for the next stranger. */
        synchronized void proven() {
            if (done) return;
            done = true;
            timeout.cancel(false);
            places.release();
        }

        /** The connection ended (if it never proved the secret, its place is freed now). */
        @Override public void close() { proven(); }
    }

    @Override public void close() { timer.shutdownNow(); }
}
