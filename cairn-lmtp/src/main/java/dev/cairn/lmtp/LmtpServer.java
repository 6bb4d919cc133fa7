// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.protocol.ConnectionServer;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.store.SlotStore;
import dev.cairn.store.UserStore;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * The LMTP listener (RFC 2033): on a TCP address, a unix-domain socket, or both. Each
 * connection is an {@link LmtpSession} on its own virtual thread.
 */
public final class LmtpServer implements Closeable {
    private final LmtpConfig config;
    private final Function<String, UserStore> users;
    private final RecipientResolver resolver;
    private final MemoryBudget memory;
    private ConnectionServer tcp;
    private ConnectionServer unix;
    private DeliveryMeters deliveries = DeliveryMeters.none();
    private Forwarder forwarder;

    /**
     * @param users    the store of a resolved account (created on first delivery if the
     *                 implementation does so); may throw {@link dev.cairn.store.StoreException}
     * @param resolver envelope address to account
     */
    public LmtpServer(LmtpConfig config, Function<String, UserStore> users, RecipientResolver resolver) {
        this(config, users, resolver, MemoryBudget.quarterOfHeap());
    }

    /**
     * @param memory the node's budget for what sessions hold in memory, shared with the other
     *               protocols: a message that gets no share of it is spooled to disk from its first octet
     */
    public LmtpServer(LmtpConfig config, Function<String, UserStore> users, RecipientResolver resolver, MemoryBudget memory) {
        this.config = Objects.requireNonNull(config);
        this.users = Objects.requireNonNull(users);
        this.resolver = Objects.requireNonNull(resolver);
        this.memory = Objects.requireNonNull(memory);
    }

    /** Delivers into one slot, creating a user's store at its first delivery. */
    public LmtpServer(LmtpConfig config, SlotStore store, RecipientResolver resolver) {
        this(config, store::openOrCreateUser, resolver);
    }

    /** Delivers into one slot, with the node's memory budget. */
    public LmtpServer(LmtpConfig config, SlotStore store, RecipientResolver resolver, MemoryBudget memory) {
        this(config, store::openOrCreateUser, resolver, memory);
    }

    public synchronized void start() throws IOException {
        if (config.listen() != null) {
            tcp = server("lmtp", config.listen());
            tcp.start();
        }
        if (config.unixSocket() != null) {
            unix = server("lmtp-unix", UnixDomainSocketAddress.of(config.unixSocket()));
            try {
                unix.start();
            } catch (IOException e) {
                close();
                throw e;
            }
        }
    }

    private ConnectionServer server(String name, java.net.SocketAddress address) {
        return new ConnectionServer(new ConnectionServer.Config(name, address, config.maxConnections(), null, Duration.ofSeconds(30),
                config.connectionLimits()),
                connection -> new LmtpSession(config, users, resolver, forwarder, memory, deliveries, connection).run(),
                connection -> connection.writeLine("421 4.3.2 " + config.hostname() + " Too many connections, try again later"));
    }

    /**
     * Where recipients the resolver places {@link RecipientResolver.Lookup.Elsewhere elsewhere} are
     * passed on (none by default: they are answered 451 4.3.0 at RCPT); call before {@link #start()}.
     */
    public void forwarder(Forwarder forwarder) {
        this.forwarder = Objects.requireNonNull(forwarder);
    }

    /** Counts recipients by outcome in the node's registry ({@link DeliveryMeters}); call before {@link #start()}. */
    public void meters(io.micrometer.core.instrument.MeterRegistry registry) {
        deliveries = new DeliveryMeters(registry);
    }

    /** The started listeners (TCP, unix socket), for their connection gauges. */
    public java.util.List<ConnectionServer> listeners() {
        return java.util.stream.Stream.of(tcp, unix).filter(java.util.Objects::nonNull).toList();
    }

    /** The bound TCP address (with the real port when 0 was configured), or null without TCP. */
    public InetSocketAddress boundAddress() { return tcp == null ? null : tcp.boundInetAddress(); }

    /** The unix-domain socket path, or null. */
    public Path unixSocketPath() { return unix == null ? null : config.unixSocket(); }

    @Override public synchronized void close() {
        if (tcp != null) tcp.close();
        if (unix != null) unix.close();
    }
}
