// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.protocol.Connection;
import dev.cairn.protocol.relay.RelayedSession;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session logged in on the user's back-end ({@link BackendLogin}), relayed byte for byte: no
 * command is parsed, so COMPRESS (the two ends compress, the relay copies) and IDLE pass through,
 * and so does the back-end's {@code BYE [UNAVAILABLE]} when its store moves. Each direction copies
 * through a buffer that grows while reads fill it and shrinks back when the stream goes quiet, so
 * the thousands of sessions that sit in IDLE hold {@value #IDLE_BUFFER} octets a direction while
 * they wait, not {@value #BUFFER}; when either side ends both are closed. Only the calling thread
 * writes to the client (so closing it never races a write); the client's bytes go up on a virtual
 * thread.
 */
final class BackendSession implements RelayedSession {
    private static final Logger log = LoggerFactory.getLogger(BackendSession.class);
    /**
     * The largest read: a FETCH or APPEND of a big message moves in steps of this. Each step is a
     * read and a write on both sockets and a wake-up of the thread: at 16 KiB a 135 KB message
     * (the mean of `cairn bench imap`'s corpus) took nine.
     */
    static final int BUFFER = 64 * 1024;
    /** The buffer of a quiet direction, held during its blocking read (most sessions, most of the time). */
    static final int IDLE_BUFFER = 512;

    private final Backend backend;
    private final Socket socket;
    private final InputStream fromBackend;
    private final OutputStream toBackend;
    private final String loginReply;
    private final RelayMeters meters;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Runnable onClose = () -> {};

    BackendSession(Backend backend, Socket socket, InputStream fromBackend, OutputStream toBackend, String loginReply,
                   RelayMeters meters) {
        this.backend = backend;
        this.socket = socket;
        this.fromBackend = fromBackend;
        this.toBackend = toBackend;
        this.loginReply = loginReply;
        this.meters = meters;
    }

    @Override public String loginReply() { return loginReply; }

    Backend backend() { return backend; }

    /** Runs {@code action} once when the session closes (at once if it has). */
    void onClose(Runnable action) {
        onClose = action;
        if (closed.get()) action.run();
    }

    @Override public void relay(Connection client) throws IOException {
        AtomicInteger open = meters.openSessions(backend.node(), backend.protocol());
        open.incrementAndGet();
        try {
            socket.setSoTimeout(0); // the back-end keeps its own autologout; the client's side has the session's timeout
            Counter up = meters.bytes(backend.protocol(), true), down = meters.bytes(backend.protocol(), false);
            // what the client pipelined behind its login goes first; then the client's raw streams,
            // under its line and reply buffers (no copy through them, reads and writes as large as the relay's)
            byte[] pending = client.input().takeBuffered();
            java.io.InputStream fromClient = client.relayInput();
            OutputStream toClient = client.relayOutput();
            Thread upstream = Thread.ofVirtual().name("relay-up-" + client.id()).start(() -> {
                try {
                    if (pending.length > 0) {
                        toBackend.write(pending);
                        toBackend.flush();
                        up.increment(pending.length);
                    }
                    copy(fromClient::read, toBackend, toBackend::flush, up);
                } catch (IOException e) {
                    log.debug("relay {} -> {}: {}", client.id(), backend, e.toString());
                } finally {
                    close(); // ends the other direction, which alone writes to (and closes) the client
                }
            });
            try {
                copy(fromBackend::read, toClient, toClient::flush, down);
            } catch (IOException e) {
                log.debug("relay {} <- {}: {}", client.id(), backend, e.toString());
            } finally {
                closeBoth(client);
            }
            upstream.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeBoth(client);
        } finally {
            open.decrementAndGet();
        }
    }

    /** A blocking read into part of an array: {@link InputStream#read(byte[], int, int)}'s contract. */
    @FunctionalInterface
    interface Source {
        int read(byte[] buffer, int offset, int length) throws IOException;
    }

    /** A flush that may fail. */
    @FunctionalInterface
    interface Flush {
        void flush() throws IOException;
    }

    /**
     * Copies until the source ends, flushing after every read (a relay must not hold a reply back).
     * A read that fills the buffer says more is waiting: the next reads go through {@link #BUFFER}
     * octets; one that does not says the stream is drained: the big buffer is dropped before the
     * next blocking read, which then holds {@link #IDLE_BUFFER} octets.
     */
    static void copy(Source from, OutputStream to, Flush flush, Counter bytes) throws IOException {
        byte[] buffer = new byte[IDLE_BUFFER];
        int n;
        while ((n = from.read(buffer, 0, buffer.length)) >= 0) {
            to.write(buffer, 0, n);
            flush.flush();
            bytes.increment(n);
            if (n == buffer.length && buffer.length < BUFFER) {
                buffer = new byte[BUFFER];
            } else if (n < buffer.length && buffer.length > IDLE_BUFFER) {
                buffer = new byte[IDLE_BUFFER];
            }
        }
    }

    private void closeBoth(Connection client) {
        client.close();
        close();
    }

    @Override public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            socket.close(); // a relay reading from the back-end gets an exception and closes the client
        } catch (IOException ignored) {
            // closing is best effort
        }
        onClose.run();
    }
}
