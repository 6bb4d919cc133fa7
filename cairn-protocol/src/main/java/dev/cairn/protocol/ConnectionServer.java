// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import dev.cairn.protocol.tls.TlsSockets;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts connections on one address (TCP, or a unix-domain socket path) and serves each on
 * its own virtual thread with a {@link ConnectionHandler}. The accept loop runs on a platform
 * thread so that a flood of sessions cannot starve it of a carrier.
 */
public final class ConnectionServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ConnectionServer.class);

    /**
     * @param name             for thread names and logs, e.g. "pop3" or "lmtp-unix"
     * @param bindAddress      an {@link InetSocketAddress} (port 0 picks a free port) or a
     *                         {@link UnixDomainSocketAddress} (a stale socket file is replaced)
     * @param maxConnections   connections served at once; more are handed to the reject handler
     * @param implicitTls      non-null: every connection is TLS from its first octet
     * @param handshakeTimeout how long an implicit-TLS client gets for its handshake
     * @param limits           connections per client address and the login deadline; over them,
     *                         a connection is handed to the reject handler too
     */
    public record Config(String name, SocketAddress bindAddress, int maxConnections, SSLContext implicitTls,
                         Duration handshakeTimeout, ConnectionLimits limits) {
        public Config {
            Objects.requireNonNull(name);
            Objects.requireNonNull(bindAddress);
            Objects.requireNonNull(handshakeTimeout);
            Objects.requireNonNull(limits);
            if (maxConnections < 1) throw new IllegalArgumentException("maxConnections " + maxConnections);
            if (implicitTls != null && bindAddress instanceof UnixDomainSocketAddress) {
                throw new IllegalArgumentException("implicit TLS needs a TCP address");
            }
        }

        /** Without per-address limits or login deadline. */
        public Config(String name, SocketAddress bindAddress, int maxConnections, SSLContext implicitTls, Duration handshakeTimeout) {
            this(name, bindAddress, maxConnections, implicitTls, handshakeTimeout, ConnectionLimits.NONE);
        }

        public static Config plain(String name, SocketAddress bindAddress, int maxConnections) {
            return new Config(name, bindAddress, maxConnections, null, Duration.ofSeconds(30));
        }
    }

    /**
     * How long past its login deadline a connection that is still not reading (stuck in a TLS
     * handshake fed one octet at a time, or in a slow login) is left before it is dropped without a word.
     */
    static final Duration LOGIN_GRACE = Duration.ofSeconds(30);

    private final Config config;
    private final ConnectionHandler handler;
    private final ConnectionHandler rejectOverLimit;
    private final Set<Connection> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final AddressCounts addresses;
    /** Refusals not logged yet, and when the last was: a flood must not become a flood of log lines. */
    private final AtomicInteger refusalsUnlogged = new AtomicInteger();
    private volatile long lastRefusalLogNanos;
    private volatile boolean closed;
    private ServerSocket tcpServer;
    private ServerSocketChannel unixServer;
    private Thread acceptThread;
    private volatile Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;
    private ScheduledExecutorService watchdog;

    /** How long one write to a client may block before the connection is dropped. */
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofMinutes(5);

    /**
     * @param handler         serves one connection
     * @param rejectOverLimit runs instead when {@code maxConnections} are busy, or the client's
     *                        address has its limit of connections: send the protocol's "too many
     *                        connections" greeting; the connection is closed after
     */
    public ConnectionServer(Config config, ConnectionHandler handler, ConnectionHandler rejectOverLimit) {
        this.config = Objects.requireNonNull(config);
        this.handler = Objects.requireNonNull(handler);
        this.rejectOverLimit = Objects.requireNonNull(rejectOverLimit);
        this.addresses = new AddressCounts(config.limits());
        this.lastRefusalLogNanos = System.nanoTime() - TimeUnit.MINUTES.toNanos(1); // the first refusal is logged
    }

    /**
     * Sets how long a single write to a client may stay blocked (the client stopped reading)
     * before the connection is aborted; call before {@link #start()}.
     */
    public void setWriteTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("write timeout " + timeout);
        this.writeTimeout = timeout;
    }

    /** Binds and starts accepting. */
    public synchronized void start() throws IOException {
        if (acceptThread != null) throw new IllegalStateException("already started");
        if (config.bindAddress() instanceof UnixDomainSocketAddress unix) {
            Path path = unix.getPath();
            Files.deleteIfExists(path); // a stale socket file from an earlier run blocks bind
            unixServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            unixServer.bind(unix);
        } else {
            tcpServer = new ServerSocket();
            try {
                tcpServer.setReuseAddress(true);
                tcpServer.bind(config.bindAddress(), 128);
            } catch (IOException e) {
                tcpServer.close();
                tcpServer = null;
                throw e;
            }
        }
        long period = Math.clamp(writeTimeout.toMillis() / 4, 50, 10_000);
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("cairn-" + config.name() + "-watchdog").daemon(true).unstarted(r));
        watchdog.scheduleAtFixedRate(this::abortStalled, period, period, TimeUnit.MILLISECONDS);
        acceptThread = Thread.ofPlatform().name("cairn-" + config.name() + "-accept").daemon(true).start(this::acceptLoop);
        // debug: the node logs each listener once, with the address a client uses
        log.debug("{} listening on {}{}", config.name(), boundAddress(), config.implicitTls() != null ? " (TLS)" : "");
    }

    /** The address actually bound (the real port when 0 was asked for). */
    public SocketAddress boundAddress() {
        if (tcpServer != null) return tcpServer.getLocalSocketAddress();
        try {
            return unixServer != null ? unixServer.getLocalAddress() : null;
        } catch (IOException e) {
            return config.bindAddress();
        }
    }

    /** The bound TCP address; fails for a unix-domain server. */
    public InetSocketAddress boundInetAddress() {
        if (tcpServer == null) throw new IllegalStateException("not a started TCP server");
        return (InetSocketAddress) tcpServer.getLocalSocketAddress();
    }

    /**
     * The message of the innermost cause: JSSE wraps the real reason ("no cipher suites in
     * common", a certificate error) in an SSLException that says only "Unexpected exception".
     */
    static String innermostMessage(Throwable e) {
        String message = e.toString();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null) message = t.getMessage();
            else if (t.getCause() == null) message = t.toString();
        }
        return message;
    }

    /** Its name ("imap", "pop3s", "lmtp", ...) and limits, as configured. */
    public Config config() { return config; }

    /** Connections being served now (not counting rejected ones). */
    public int activeConnections() { return active.get(); }

    /** Connections from {@code address} now, and of them not logged in (tests). */
    int[] connectionsFrom(java.net.InetAddress address) { return addresses.of(address); }

    private void acceptLoop() {
        while (!closed) {
            Connection connection;
            try {
                connection = acceptOne();
            } catch (IOException e) {
                if (closed) return;
                log.warn("{}: accept failed: {}", config.name(), e.toString());
                sleepQuietly(100); // e.g. out of file descriptors: do not spin
                continue;
            }
            // unix-domain peers are local processes (an MTA): counted per listener only
            Object address = connection.isUnixDomain() ? null : AddressCounts.keyOf(connection.remoteInetAddress());
            if (active.incrementAndGet() > config.maxConnections()) {
                active.decrementAndGet();
                refuse(connection, "over " + config.maxConnections() + " connections");
            } else if (address != null && !addresses.tryOpen(address)) {
                active.decrementAndGet();
                refuse(connection, "its address has " + config.limits().maxPerAddress() + " connections or "
                        + config.limits().maxPreAuthPerAddress() + " not logged in");
            } else {
                Thread.ofVirtual().name("cairn-" + config.name() + "-" + connection.id()).start(() -> serve(connection, handler, address));
            }
        }
    }

    private void refuse(Connection connection, String why) {
        int unlogged = refusalsUnlogged.incrementAndGet();
        long now = System.nanoTime();
        if (now - lastRefusalLogNanos > TimeUnit.SECONDS.toNanos(10)) {
            lastRefusalLogNanos = now;
            refusalsUnlogged.addAndGet(-unlogged);
            log.warn("{}: refusing {}: {}{}", config.name(), connection.remoteAddress(), why,
                    unlogged > 1 ? " (" + (unlogged - 1) + " more refused since the last such line)" : "");
        }
        Thread.ofVirtual().name("cairn-" + config.name() + "-reject").start(() -> serve(connection, rejectOverLimit, NOT_COUNTED));
    }

    /** Aborts connections whose client stopped reading, and those long past their login deadline. */
    private void abortStalled() {
        long now = System.nanoTime();
        long limit = writeTimeout.toNanos();
        long grace = LOGIN_GRACE.toNanos();
        for (Connection c : live) {
            if (c.writeBlockedNanos(now) > limit) {
                log.info("{}: {} stopped reading for {}, closing it", config.name(), c, writeTimeout);
                c.abort();
            } else if (c.loginOverdue(now, grace)) {
                log.info("{}: {} still not logged in {} after its login deadline, closing it", config.name(), c, LOGIN_GRACE);
                c.abort();
            }
        }
    }

    private Connection acceptOne() throws IOException {
        if (unixServer != null) {
            SocketChannel channel = unixServer.accept();
            return Connection.ofUnix(channel);
        }
        Socket socket = tcpServer.accept();
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            if (config.implicitTls() == null) return Connection.of(socket, false);
            return Connection.of(TlsSockets.server(config.implicitTls(), socket), true);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Marks a rejected connection, which counts nowhere. */
    private static final Object NOT_COUNTED = new Object();

    /**
     * @param address the key it counts under in {@link #addresses}; null for a unix-domain
     *                connection (counted per listener only), {@link #NOT_COUNTED} for a rejected one
     */
    private void serve(Connection connection, ConnectionHandler h, Object address) {
        boolean counted = address != NOT_COUNTED;
        live.add(connection);
        try {
            if (counted) {
                connection.startLoginDeadline(config.limits().loginTimeout(), address == null ? null : () -> addresses.loggedIn(address));
            }
            if (closed) return;
            if (config.implicitTls() != null) {
                connection.handshake((SSLSocket) connection.socket(), config.handshakeTimeout());
            }
            log.debug("{}: {} opened", config.name(), connection);
            h.handle(connection);
        } catch (EOFException | IdleTimeoutException | InputOverrunException e) {
            log.debug("{}: {} ended: {}", config.name(), connection, e.getMessage());
        } catch (SSLException e) {
            log.info("{}: {} TLS failed: {}", config.name(), connection, innermostMessage(e));
        } catch (SocketException e) {
            if (!closed) log.debug("{}: {} ended: {}", config.name(), connection, e.toString());
        } catch (Exception e) {
            if (!closed) log.warn("{}: {} failed", config.name(), connection, e);
        } finally {
            connection.close();
            live.remove(connection);
            if (counted) {
                active.decrementAndGet();
                if (address != null) addresses.closed(address, !connection.isLoggedIn());
            }
            log.debug("{}: {} closed", config.name(), connection);
        }
    }

    /** Stops accepting and closes every live connection (their sessions end with an I/O error). */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            if (tcpServer != null) tcpServer.close();
            if (unixServer != null) {
                unixServer.close();
                Files.deleteIfExists(((UnixDomainSocketAddress) config.bindAddress()).getPath());
            }
        } catch (IOException e) {
            log.debug("{}: closing listener: {}", config.name(), e.toString());
        }
        if (watchdog != null) watchdog.shutdownNow();
        for (Connection c : live) c.abort(); // no flush: a client that is not reading must not block shutdown
        if (acceptThread != null) {
            try {
                acceptThread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        log.info("{} stopped", config.name());
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
