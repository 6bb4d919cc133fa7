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
 * through a fixed buffer; when either side ends both are closed. Only the calling thread writes to
 * the client (so closing it never races a write); the client's bytes go up on a virtual thread.
 */
final class BackendSession implements RelayedSession {
    private static final Logger log = LoggerFactory.getLogger(BackendSession.class);
    private static final int BUFFER = 16 * 1024;

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
            // what the client pipelined behind its login goes first
            byte[] pending = client.input().takeBuffered();
            Thread upstream = Thread.ofVirtual().name("relay-up-" + client.id()).start(() -> {
                try {
                    if (pending.length > 0) {
                        toBackend.write(pending);
                        toBackend.flush();
                        up.increment(pending.length);
                    }
                    byte[] buffer = new byte[BUFFER];
                    int n;
                    while ((n = client.input().read(buffer, 0, buffer.length)) >= 0) {
                        toBackend.write(buffer, 0, n);
                        toBackend.flush();
                        up.increment(n);
                    }
                } catch (IOException e) {
                    log.debug("relay {} -> {}: {}", client.id(), backend, e.toString());
                } finally {
                    close(); // ends the other direction, which alone writes to (and closes) the client
                }
            });
            try {
                byte[] buffer = new byte[BUFFER];
                int n;
                while ((n = fromBackend.read(buffer)) >= 0) {
                    client.output().write(buffer, 0, n);
                    client.flush();
                    down.increment(n);
                }
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
