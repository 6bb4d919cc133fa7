// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.syntax.ImapCommand;
import dev.cairn.protocol.ConnectionLimits;
import dev.cairn.protocol.CommandMeters;
import dev.cairn.protocol.ConnectionServer;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.store.SlotStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The IMAP service: a plaintext listener with STARTTLS and an implicit-TLS listener, each serving
 * every connection on its own virtual thread with an {@link ImapSession} over the slot store.
 */
public final class ImapServer implements AutoCloseable {
    private final ImapConfig config;
    private final SlotStore store;
    private final Authenticator authenticator;
    private final AuthThrottle throttle;
    private final HeavyCommands heavy;
    private final MemoryBudget memory;
    private final List<ConnectionServer> listeners = new ArrayList<>();
    private final java.util.Set<ImapSession> sessions = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private ConnectionServer plain;
    private ConnectionServer implicitTls;
    private Runnable fenceListener;
    private CommandMeters commands = CommandMeters.none("imap");

    public ImapServer(ImapConfig config, SlotStore store, Authenticator authenticator) {
        this(config, store, authenticator, new AuthThrottle(config.throttle(), Clock.systemUTC(), AuthThrottle.Sleeper.REAL));
    }

    /** With a throttle shared with other protocols (so POP3 failures count for IMAP too). */
    public ImapServer(ImapConfig config, SlotStore store, Authenticator authenticator, AuthThrottle throttle) {
        this(config, store, authenticator, throttle, MemoryBudget.quarterOfHeap());
    }

    /**
     * @param memory the node's budget for commands in flight (lines and literals held in memory),
     *               shared with the other protocols
     */
    public ImapServer(ImapConfig config, SlotStore store, Authenticator authenticator, AuthThrottle throttle, MemoryBudget memory) {
        this.config = Objects.requireNonNull(config);
        this.store = Objects.requireNonNull(store);
        this.authenticator = Objects.requireNonNull(authenticator);
        this.throttle = Objects.requireNonNull(throttle);
        this.heavy = new HeavyCommands(config.heavyWork());
        this.memory = Objects.requireNonNull(memory);
    }

    /** Counts and times commands in the node's registry ({@link CommandMeters}); call before {@link #start()}. */
    private volatile dev.cairn.protocol.relay.SessionRoutes routes = dev.cairn.protocol.relay.SessionRoutes.LOCAL;

    /** Where sessions go after their login (unified mode and `cairn proxy`; issue 21): here unless set. */
    public void routes(dev.cairn.protocol.relay.SessionRoutes routes) { this.routes = java.util.Objects.requireNonNull(routes); }

    dev.cairn.protocol.relay.SessionRoutes routes() { return routes; }

    public void meters(io.micrometer.core.instrument.MeterRegistry registry) {
        commands = new CommandMeters(registry, "imap", java.util.Arrays.stream(ImapCommand.class.getPermittedSubclasses())
                .map(c -> c.getSimpleName().toUpperCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.toSet()));
    }

    CommandMeters commands() { return commands; }

    public synchronized void start() throws IOException {
        if (!listeners.isEmpty()) throw new IllegalStateException("already started");
        int max = config.limits().maxConnections();
        ConnectionLimits perAddress = config.limits().connectionLimits();
        fenceListener = store.onFenced(this::fenced);
        try {
            if (config.listen() != null) {
                plain = new ConnectionServer(new ConnectionServer.Config("imap", config.listen(), max, null, Duration.ofSeconds(30), perAddress),
                        c -> new ImapSession(this, c).run(), ImapSession::rejectOverLimit);
                plain.start();
                listeners.add(plain);
            }
            if (config.implicitTlsListen() != null && config.tls() != null) {
                implicitTls = new ConnectionServer(new ConnectionServer.Config("imaps", config.implicitTlsListen(), max, config.tls(), Duration.ofSeconds(30), perAddress),
                        c -> new ImapSession(this, c).run(), ImapSession::rejectOverLimit);
                implicitTls.start();
                listeners.add(implicitTls);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The plaintext (STARTTLS) listener's address, or null. */
    public InetSocketAddress address() { return plain == null ? null : plain.boundInetAddress(); }

    /** The implicit-TLS listener's address, or null. */
    public InetSocketAddress tlsAddress() { return implicitTls == null ? null : implicitTls.boundInetAddress(); }

    /** The started listeners (plain, implicit TLS), for their connection gauges. */
    public List<ConnectionServer> listeners() { return List.copyOf(listeners); }

    public int activeConnections() {
        int n = 0;
        for (ConnectionServer s : listeners) n += s.activeConnections();
        return n;
    }

    ImapConfig config() { return config; }
    SlotStore store() { return store; }
    Authenticator authenticator() { return authenticator; }
    AuthThrottle throttle() { return throttle; }
    HeavyCommands heavy() { return heavy; }
    MemoryBudget memory() { return memory; }

    java.util.Set<ImapSession> sessions() { return sessions; }

    /**
     * A slot got another master, or a user moved to another store: every logged-in session of a
     * user whose slot no longer takes writes here ends with BYE [UNAVAILABLE]; users of the node's
     * other slots go on ({@link SlotStore#slotOf}).
     */
    private void fenced(String reason) {
        for (ImapSession s : sessions) {
            String user = s.user;
            if (user != null && writable(user)) continue;
            Thread.ofVirtual().name("imap-fenced").start(() -> s.fenced(reason));
        }
    }

    /** Whether the user's slot takes writes here (false too when the user lives on a store this node has no slot of: moved). */
    private boolean writable(String user) {
        try {
            return store.slotOf(user).replication().fenceReason() == null;
        } catch (dev.cairn.store.StoreException e) {
            return false;
        }
    }

    /** Says BYE to every session (RFC 9051 §7.1.5), gives them a moment to send it, then closes. */
    @Override public synchronized void close() {
        if (fenceListener != null) fenceListener.run();
        if (!sessions.isEmpty()) {
            for (ImapSession s : sessions) s.shutdown();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ConnectionServer s : listeners) s.close();
        listeners.clear();
        heavy.close();
    }
}
