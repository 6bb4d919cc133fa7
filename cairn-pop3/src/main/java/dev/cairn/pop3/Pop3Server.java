// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import dev.cairn.protocol.ConnectionServer;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.store.SlotStore;
import dev.cairn.store.UserStore;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * The POP3 listeners: the plain port (with STLS when a certificate is configured) and the
 * implicit-TLS port. Both share the per-user lock, so a user has one POP3 session on this node.
 */
public final class Pop3Server implements Closeable {
    private final Pop3Config config;
    private final Function<String, UserStore> users;
    private final Authenticator authenticator;
    private final AuthThrottle throttle;
    private final Pop3Locks locks = new Pop3Locks();
    private dev.cairn.protocol.CommandMeters commands = dev.cairn.protocol.CommandMeters.none("pop3");
    private ConnectionServer plain;
    private ConnectionServer implicitTls;
    /** The slot whose fencing ends the sessions (null when built over a user lookup only). */
    private final SlotStore fenceSource;
    private Runnable fenceListener;
    private final java.util.Set<Pop3Session> sessions = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param users         the store of an authenticated (canonical) user
     * @param authenticator checks USER/PASS and AUTH credentials
     * @param throttle      failed-login delays, shared with IMAP so guesses count across protocols
     */
    public Pop3Server(Pop3Config config, Function<String, UserStore> users, Authenticator authenticator, AuthThrottle throttle) {
        this(config, users, authenticator, throttle, null);
    }

    private Pop3Server(Pop3Config config, Function<String, UserStore> users, Authenticator authenticator, AuthThrottle throttle,
                       SlotStore fenceSource) {
        this.fenceSource = fenceSource;
        this.config = Objects.requireNonNull(config);
        this.users = Objects.requireNonNull(users);
        this.authenticator = Objects.requireNonNull(authenticator);
        this.throttle = Objects.requireNonNull(throttle);
    }

    /** Serves users of one slot, creating a user's store at first login. */
    public Pop3Server(Pop3Config config, SlotStore store, Authenticator authenticator, AuthThrottle throttle) {
        this(config, store::openOrCreateUser, authenticator, throttle, store);
    }

    /** Whether the user's slot takes writes here (false too when the user lives on a store this node has no slot of: moved). */
    private boolean writable(String user) {
        try {
            return fenceSource.slotOf(user).replication().fenceReason() == null;
        } catch (dev.cairn.store.StoreException e) {
            return false;
        }
    }

    public synchronized void start() throws IOException {
        if (fenceSource != null) fenceListener = fenceSource.onFenced(reason -> {
            for (Pop3Session s : sessions) {
                // Only the fenced slot's users (a node's other slots go on serving theirs).
                String user = s.user();
                if (user != null && writable(user)) continue;
                Thread.ofVirtual().name("pop3-fenced").start(() -> s.fenced(reason));
            }
        });
        try {
            if (config.listen() != null) {
                plain = server("pop3", config.listen(), null);
                plain.start();
            }
            if (config.implicitTlsListen() != null) {
                implicitTls = server("pop3s", config.implicitTlsListen(), config.tls());
                implicitTls.start();
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private ConnectionServer server(String name, InetSocketAddress address, SSLContext tls) {
        return new ConnectionServer(new ConnectionServer.Config(name, address, config.maxConnections(), tls, Duration.ofSeconds(30),
                        config.connectionLimits()),
                connection -> {
                    Pop3Session session = new Pop3Session(config, users, authenticator, throttle, locks, commands, routes, connection);
                    sessions.add(session);
                    try {
                        session.run();
                    } finally {
                        sessions.remove(session);
                    }
                },
                connection -> connection.writeLine("-ERR [SYS/TEMP] Too many connections, try again later"));
    }

    /** Counts and times commands in the node's registry ({@link dev.cairn.protocol.CommandMeters}); call before {@link #start()}. */
    private volatile dev.cairn.protocol.relay.SessionRoutes routes = dev.cairn.protocol.relay.SessionRoutes.LOCAL;

    /** Where sessions go after their login (unified mode and `cairn proxy`; issue 21): here unless set. */
    public void routes(dev.cairn.protocol.relay.SessionRoutes routes) { this.routes = java.util.Objects.requireNonNull(routes); }

    dev.cairn.protocol.relay.SessionRoutes routes() { return routes; }

    public void meters(io.micrometer.core.instrument.MeterRegistry registry) {
        commands = new dev.cairn.protocol.CommandMeters(registry, "pop3", java.util.Arrays.stream(Pop3Command.class.getPermittedSubclasses())
                .map(c -> c.getSimpleName().toUpperCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.toSet()));
    }

    /** A command's name for its meter: the parser's type, e.g. RETR. */
    static String name(Pop3Command command) {
        return command.getClass().getSimpleName().toUpperCase(java.util.Locale.ROOT);
    }

    /** The started listeners (plain, implicit TLS), for their connection gauges. */
    public java.util.List<ConnectionServer> listeners() {
        return java.util.stream.Stream.of(plain, implicitTls).filter(java.util.Objects::nonNull).toList();
    }

    /** The plain port's bound address, or null. */
    public InetSocketAddress boundAddress() { return plain == null ? null : plain.boundInetAddress(); }

    /** The implicit-TLS port's bound address, or null. */
    public InetSocketAddress boundTlsAddress() { return implicitTls == null ? null : implicitTls.boundInetAddress(); }

    @Override public synchronized void close() {
        if (fenceListener != null) fenceListener.run();
        if (plain != null) plain.close();
        if (implicitTls != null) implicitTls.close();
    }
}
