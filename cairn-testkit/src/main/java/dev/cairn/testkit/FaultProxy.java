// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback between two nodes that a test can break the way networks break: a
 * partition that drops every byte silently ({@link #blackhole}: the peers see nothing, neither an
 * answer nor a reset, until their own timeouts), a peer that is down ({@link #refuse}: every
 * connection is closed at once), a slow link ({@link #delay}), and the repair ({@link #heal}).
 * It stands in for {@code tc netem}, which this machine does not have.
 *
 * <p>Point a node's peer address at {@link #port()} and the proxy at the peer's real port. Each
 * connection is two pumps on virtual threads; what a blackhole held open is closed on heal, as
 * a partition long enough to matter would have timed those connections out.
 */
public final class FaultProxy implements AutoCloseable {
    private enum Mode { OPEN, BLACKHOLE, REFUSE }

    private final int target;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile Mode mode = Mode.OPEN;
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean closed;

    private FaultProxy(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("fault-proxy-" + server.getLocalPort()).start(this::acceptLoop);
    }

    /** A proxy on a free loopback port that forwards to {@code targetPort} on loopback. */
    public static FaultProxy to(int targetPort) throws IOException {
        return new FaultProxy(targetPort);
    }

    /** The port the proxy listens on. */
    public int port() { return server.getLocalPort(); }

    /** Connections accepted so far, whatever happened to them. */
    public int accepted() { return accepted.get(); }

    /** A partition: no byte passes either way, new connections are accepted and then ignored. */
    public void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    /** The peer is down: open connections are closed, new ones closed as soon as accepted. */
    public void refuse() {
        mode = Mode.REFUSE;
        closeAll();
    }

    /** Every chunk waits {@code d} before it is forwarded (a slow or distant link). */
    public void delay(Duration d) {
        delay = d;
    }

    /** Back to a working link; connections a blackhole held are closed so the peers reconnect. */
    public void heal() {
        Mode was = mode;
        mode = Mode.OPEN;
        delay = Duration.ZERO;
        if (was == Mode.BLACKHOLE) closeAll();
    }

    @Override public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        closeAll();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            if (mode == Mode.REFUSE) {
                quietClose(client);
                continue;
            }
            open.add(client);
            Thread.ofVirtual().start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket upstream = new Socket();
        open.add(upstream);
        try {
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5_000);
        } catch (IOException e) {
            quietClose(client);
            quietClose(upstream);
            return;
        }
        Thread.ofVirtual().start(() -> pump(client, upstream));
        pump(upstream, client);
    }

    /** Copies from one socket to the other until either closes; a blackhole drops what it reads. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                Duration d = delay;
                if (!d.isZero()) Thread.sleep(d);
                if (mode == Mode.BLACKHOLE) continue;
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // one side went away: close both below
        } finally {
            quietClose(from);
            quietClose(to);
        }
    }

    private void closeAll() {
        for (Socket s : open) quietClose(s);
    }

    private void quietClose(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
