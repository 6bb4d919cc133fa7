// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.imap.ImapConfig;
import dev.cairn.imap.ImapServer;
import dev.cairn.imap.VerifyAccess;
import dev.cairn.protocol.auth.ProxyLogin;
import dev.cairn.lmtp.LmtpConfig;
import dev.cairn.lmtp.LmtpServer;
import dev.cairn.proxy.LmtpProxy;
import dev.cairn.pop3.Pop3Config;
import dev.cairn.pop3.Pop3Server;
import dev.cairn.protocol.ConnectionLimits;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.server.config.ListenerConfig;
import dev.cairn.server.config.NodeConfig;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The wiring point of the protocol servers: one {@link ListenerStarter} per protocol. {@link Node}
 * starts each protocol whose plain or implicit-TLS listener is enabled in the config, in this
 * order, and warns about enabled ones that are missing here.
 *
 * <p>To wire a protocol, add one entry to {@link #builtIn()}, for example
 * <pre>
 * starters.put("imap", (plain, implicitTls, node) -> { var server = new ImapServer(...); server.start();
 *         return listener(Map.of("imap", server.boundAddress(), ...), server::close); });
 * </pre>
 * {@link NodeServices} holds the slot store, the directory, the authenticator, the auth
 * throttle, the TLS context and the meter registry.
 */
public final class ProtocolListeners {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProtocolListeners.class);

    /** Protocol name to its plain and implicit-TLS listener names in the config. */
    public static final Map<String, String[]> PROTOCOLS = Map.of(
            "imap", new String[] {"imap", "imaps"},
            "pop3", new String[] {"pop3", "pop3s"},
            "lmtp", new String[] {"lmtp", null});

    private ProtocolListeners() {}

    public static Map<String, ListenerStarter> builtIn() {
        Map<String, ListenerStarter> starters = new LinkedHashMap<>();
        starters.put("imap", ProtocolListeners::imap);
        starters.put("pop3", ProtocolListeners::pop3);
        starters.put("lmtp", (plain, implicitTls, node) -> lmtp(node, plain.orElseThrow()));
        return starters;
    }

    /** A running listener from its bound addresses and how to stop it. */
    public static RunningListener listener(Map<String, InetSocketAddress> addresses, Runnable close) {
        Map<String, InetSocketAddress> bound = new LinkedHashMap<>(addresses);
        bound.values().removeIf(a -> a == null);
        return new RunningListener() {
            @Override public Map<String, InetSocketAddress> addresses() { return bound; }
            @Override public void close() { close.run(); }
        };
    }

    static RunningListener imap(Optional<ListenerConfig> plain, Optional<ListenerConfig> implicitTls, NodeServices node)
            throws java.io.IOException {
        NodeConfig c = node.config();
        Files.createDirectories(c.imapSpoolDir());
        ImapConfig.Limits defaults = ImapConfig.Limits.DEFAULT;
        ImapConfig.Limits limits = new ImapConfig.Limits(defaults.maxLineLength(), c.store().maxMessageSize(),
                defaults.maxLiterals(), defaults.maxNesting(), defaults.maxSequenceRanges(),
                defaults.maxBadCommandsPreAuth(), defaults.maxBadCommands(), defaults.preAuthIdleTimeout(),
                c.limits().idleTimeout(), defaults.idleCommandTimeout(), c.limits().maxConnections(),
                defaults.spoolThreshold(), c.limits().commandMemoryPerConnection(), connectionLimits(c));
        ImapConfig config = new ImapConfig(
                plain.map(l -> l.address().socketAddress()).orElse(null),
                implicitTls.map(l -> l.address().socketAddress()).orElse(null),
                node.tls(), false, limits, AuthThrottle.Config.DEFAULT, c.imapSpoolDir(),
                // the read-only login of `cairn replica verify`: only where there is a cluster secret
                c.replication() == null ? null : new VerifyAccess(c.replication().config().secret(), c.trustedNetworks()))
                .withHeavyWork(c.limits().heavyWork()).withProxyLogin(proxyLogin(c))
                .withPlaintextAuthNetworks(plaintextAuthNetworks(plain));
        ImapServer server = new ImapServer(config, node.store(), NodeMetrics.counting(node.meters(), "imap", node.authenticator()),
                node.throttle(), node.commandMemory());
        server.meters(node.meters());
        server.routes(node.routes());
        server.start();
        gauges(node, server.listeners());
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        addresses.put("imap", server.address());
        addresses.put("imaps", server.tlsAddress());
        return listener(addresses, server::close);
    }

    private static void gauges(NodeServices node, java.util.List<dev.cairn.protocol.ConnectionServer> listeners) {
        for (var l : listeners) {
            NodeMetrics.listener(node.meters(), l.config().name(), l::activeConnections, l.config().maxConnections());
        }
    }

    /** Front-ends' logins for their users (issue 21): only where there is a cluster secret, from the trusted networks. */
    private static ProxyLogin proxyLogin(NodeConfig c) {
        return c.replication() == null ? null : new ProxyLogin(c.replication().config().secret(), c.trustedNetworks());
    }

    /** Peers off loopback that may log in without TLS on the plain listener ([imap]/[pop3] plaintext_auth_networks; nginx). */
    private static java.util.List<dev.cairn.protocol.auth.Network> plaintextAuthNetworks(Optional<ListenerConfig> plain) {
        return plain.map(ListenerConfig::plaintextAuthNetworks).orElse(java.util.List.of());
    }

    /** The [limits] per client address and the login deadline, as IMAP and POP3 enforce them. */
    private static ConnectionLimits connectionLimits(NodeConfig c) {
        return new ConnectionLimits(c.limits().maxConnectionsPerAddress(), c.limits().maxPreAuthConnectionsPerAddress(),
                c.limits().loginTimeout());
    }

    static RunningListener pop3(Optional<ListenerConfig> plain, Optional<ListenerConfig> implicitTls, NodeServices node)
            throws java.io.IOException {
        NodeConfig c = node.config();
        Pop3Config defaults = Pop3Config.defaults();
        Pop3Config config = new Pop3Config(
                plain.map(l -> l.address().socketAddress()).orElse(null),
                implicitTls.map(l -> l.address().socketAddress()).orElse(null),
                defaults.hostname(), node.tls(), defaults.allowPlaintextAuth(), c.limits().maxConnections(),
                defaults.limits(), connectionLimits(c), proxyLogin(c)).withPlaintextAuthNetworks(plaintextAuthNetworks(plain));
        Pop3Server server = new Pop3Server(config, node.store(), NodeMetrics.counting(node.meters(), "pop3", node.authenticator()),
                node.throttle());
        server.meters(node.meters());
        server.routes(node.routes());
        server.start();
        gauges(node, server.listeners());
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        addresses.put("pop3", server.boundAddress());
        addresses.put("pop3s", server.boundTlsAddress());
        return listener(addresses, server::close);
    }

    /**
     * Starts the configured IMAP, POP3 and LMTP listeners (a node's or a front-end's) into
     * {@code listeners}, by protocol; a protocol with no starter in {@code starters} is left out
     * with a warning. A port that cannot be bound is named in the exception.
     */
    static void startAll(NodeConfig config, Map<String, ListenerStarter> starters, NodeServices services,
                         Map<String, RunningListener> listeners) throws java.io.IOException {
        for (String protocol : java.util.List.of("imap", "pop3", "lmtp")) {
            String[] names = PROTOCOLS.get(protocol);
            Optional<ListenerConfig> plain = Optional.of(config.listener(names[0])).filter(ListenerConfig::enabled);
            Optional<ListenerConfig> implicitTls = Optional.ofNullable(names[1]).map(config::listener).filter(ListenerConfig::enabled);
            if (plain.isEmpty() && implicitTls.isEmpty()) continue;
            String addresses = String.join(", ", java.util.stream.Stream.concat(plain.stream(), implicitTls.stream())
                    .map(l -> l.address().toString()).toList());
            ListenerStarter starter = starters.get(protocol);
            if (starter == null) {
                log.warn("{}: not available in this build; not listening on {}", protocol, addresses);
                continue;
            }
            RunningListener running;
            try {
                running = starter.start(plain, implicitTls, services);
            } catch (java.net.BindException e) {
                throw new java.net.BindException(protocol + ": cannot listen on " + addresses + ": " + e.getMessage());
            }
            listeners.put(protocol, running);
            running.addresses().forEach((name, address) -> log.info("{}: listening on {}{}", name,
                    new dev.cairn.server.config.ListenAddress(address.getAddress().getHostAddress(), address.getPort()),
                    PROTOCOLS.values().stream().anyMatch(n -> name.equals(n[1])) ? " (TLS)" : ""));
        }
    }

    static RunningListener lmtp(NodeServices node, ListenerConfig listener) throws java.io.IOException {
        NodeConfig c = node.config();
        Files.createDirectories(c.spoolDir());
        LmtpConfig defaults = LmtpConfig.defaults();
        // The name in the greeting and in the Received field: this machine's, as Postfix's $myhostname.
        LmtpConfig config = new LmtpConfig(listener.address().socketAddress(), null,
                dev.cairn.server.config.MachineNames.hostname().orElse(defaults.hostname()),
                c.store().maxMessageSize(), defaults.maxRecipients(), defaults.quotaTemporary(),
                defaults.maxDataLineLength(), defaults.memoryThreshold(), c.spoolDir(), c.limits().maxConnections(),
                node.tls(), defaults.deliveredTo(), defaults.limits(), c.limits().maxConnectionsPerAddress());
        LmtpServer server;
        if (node.relaying() != null) {
            // A front-end (issue 21): each recipient goes to its store's master, this node's own in the same
            // transaction; the directory alone answers (not MastersOnlyRecipients: a replica here forwards).
            server = LmtpProxy.server(config, node.store()::openOrCreateUser, new DirectoryRecipientResolver(node.directory(), c.localDomains()),
                    node.commandMemory(),
                    node.relaying().locator(), node.relaying().config(), node.meters());
        } else {
            server = new LmtpServer(config, node.store(), node.recipients(), node.commandMemory());
            server.meters(node.meters());
        }
        server.start();
        gauges(node, server.listeners());
        return listener(Map.of("lmtp", server.boundAddress()), server::close);
    }
}
