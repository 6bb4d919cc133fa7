// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.SqlDirectory;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.relay.SessionRoutes;
import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsConfig;
import dev.cairn.server.config.ListenAddress;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreEngine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * One running node: its directory, its slot, its protocol listeners and its admin endpoint.
 * Started by `cairn serve`; {@link #close()} stops the listeners first (no new work), then the
 * admin endpoint, then closes the store so RocksDB shuts down cleanly, then the directory.
 */
public final class Node implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    private final NodeConfig config;
    private final PrometheusMeterRegistry registry;
    private final Map<String, RunningListener> listeners = new LinkedHashMap<>();
    private NodeMetrics metrics;
    private SqlDirectory directory;
    /** What logins, deliveries and quotas ask: the directory, or with a replicated store and no cluster directory the store's accounts first. */
    private volatile dev.cairn.directory.Directory accounts;
    /** The node's slots ([store] slots), and the one store the protocols take (the slot, or a router over several). */
    private NodeSlots slots;
    private SlotStore store;
    /** Where IMAP and POP3 sessions go after a login: here, or (a cluster node) relayed to their store's master. */
    /** A cluster node's: where each user is served, once the node joined (issue 21). */
    private dev.cairn.proxy.FollowingLocator locator;
    /** What opened the slots, with what they share (RocksDB's cache and memtables); closed after them. */
    private StoreEngine engine;
    private dev.cairn.replication.Replication replication;
    /** With [cluster]: the node's membership, the map it follows, its write lease, the controller. */
    private volatile NodeCluster cluster;
    /** With [cluster]: the periodic move of users to their group's or domain's store (run where the controller is elected). */
    private GroupMoves groupMoves;
    /** The mail listeners' certificate, replaced by {@link #reload}. */
    private dev.cairn.protocol.tls.ReloadableSslContext mailTls;
    private AdminServer admin;
    /** nginx's mail proxy asks it where each login goes ([proxy] auth_http), or null. */
    private dev.cairn.proxy.AuthHttpEndpoint authHttp;
    private volatile boolean serving;
    private boolean runFileWritten;
    private volatile boolean closed;
    private final java.util.concurrent.CountDownLatch stopRequested = new java.util.concurrent.CountDownLatch(1);

    private Node(NodeConfig config) {
        this.config = config;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /** Starts a node; on any failure, what was started is stopped again and the cause thrown. */
    public static Node start(NodeConfig config, Map<String, ListenerStarter> starters) throws IOException {
        Node node = new Node(config);
        try {
            node.startAll(starters);
            return node;
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
    }

    private void startAll(Map<String, ListenerStarter> starters) throws IOException {
        createLayout(config);
        metrics = new NodeMetrics(registry, Node.class.getPackage().getImplementationVersion());

        directory = Directories.open(config);
        log.info("directory: {}", directory);
        accounts = directory;
        logMemory(config.memory());
        engine = storeEngine(config.memory().store(), registry);
        // A new user goes to the store the directory places it on (the cluster's placement table), else by the node's rule.
        slots = NodeSlots.open(config, engine, user -> new DirectoryQuotaPolicy(accounts).limits(user), registry,
                user -> directory.placement().storeOf(user));
        store = slots.store();
        if (config.replication() == null) slots.refuseFencedSlots();
        if (config.replication() != null) {
            // Before the listeners: a replica slot is fenced before any client can write to it.
            replication = config.cluster() == null
                    ? dev.cairn.replication.Replication.start(config.replication().config(), slots.byName(), registry)
                    : dev.cairn.replication.Replication.startFollowing(config.replication().config(), slots.byName(), registry);
            // The directory's placement names stores; the store map says which slot here is whose.
            if (config.cluster() != null) slots.followStores(replication::slotOf);
            log.info("replication: node {} listening on {}", config.replication().config().node(), format(replication.address()));
            accounts = Directories.withStore(directory, store);
        }
        mailTls = dev.cairn.protocol.tls.ReloadableSslContext.of(tlsContext(config));
        DirectoryAuthenticator directoryLogins = new DirectoryAuthenticator(accounts, registry);
        // A cluster node is a front-end too (unified mode, issue 21): logins and LMTP recipients go to the
        // master of their store, found once the node joined (locator.follow below); a fenced slot here is
        // the routes' refusal, not the login's.
        NodeServices.Relaying relaying = null;
        if (config.cluster() != null) {
            locator = new dev.cairn.proxy.FollowingLocator();
            relaying = new NodeServices.Relaying(locator, config.relay().relayConfig(config.replication().config().secret(),
                    config.replication().keyFiles().trust()));
        }
        NodeRoutes routes = new NodeRoutes(store, relaying == null ? SessionRoutes.LOCAL
                : new dev.cairn.proxy.RelayRoutes(relaying.locator(), relaying.config(), registry));
        NodeServices services = new NodeServices(config, store, accounts, registry, mailTls,
                config.cluster() != null ? directoryLogins : slots.replicaAware(directoryLogins),
                new AuthThrottle(AuthThrottle.Config.DEFAULT, Clock.systemUTC(), AuthThrottle.Sleeper.REAL),
                MastersOnlyRecipients.of(new DirectoryRecipientResolver(accounts, config.localDomains()), slots),
                new MemoryBudget(config.limits().commandMemory()), routes, relaying);

        ProtocolListeners.startAll(config, starters, services, listeners);
        authHttp = NodeAuthHttp.start(config, listeners, directoryLogins, services.throttle(), relaying, slots, registry);
        String token = RunFile.newToken();
        if (config.admin().enabled()) {
            try {
                admin = AdminServer.start(config.admin().address().socketAddress(), registry, store, token, () -> serving, this::role);
            if (replication != null) {
                ReplicationAdmin.register(admin, replication, token, config.cluster() != null);
                if (accounts instanceof dev.cairn.directory.StoreDirectory storeAccounts) {
                    AccountAdmin.register(admin, token, storeAccounts, slots, replication, config.replication().config().node(),
                            config.localDomains());
                }
            }
            ReplicationAdmin.context(admin, token, "/reload", "POST", q -> String.join("\n", reload()) + "\n");
            var local = new dev.cairn.server.cluster.NodeClusterView(replication,
                    replication == null ? null : config.replication().config(), this::ownAddresses);
            // A cluster node shows the ensemble's picture once it has joined (with its own masters' links and lag); before that, what it knows itself.
            ClusterPage.register(admin, token, () -> cluster != null ? dev.cairn.server.cluster.MasterLinks.withLinks(cluster.view().snapshot(),
                    config.replication().config().node(), replication.status()) : local.snapshot());
            } catch (BindException e) {
                throw new BindException("admin: cannot listen on " + config.admin().address() + ": " + e.getMessage());
            }
            log.info("admin: listening on http://{}/ (/health, /ready, /metrics; the cluster page: /ui/)", format(admin.address()));
            new RunFile(reachable(admin.address()), ProcessHandle.current().pid(), token).write(config.runFile());
            runFileWritten = true;
        }
        if (config.cluster() != null) {
            // Last: the registration names the listeners; the slots stay fenced until the map names them.
            cluster = NodeCluster.start(config.cluster(), replication, config.store().slots(), ownAddresses(),
                    Node.class.getPackage().getImplementationVersion(), config.replication()::mayReachInClear);
            // Unified mode (issue 21): a user whose store another node masters is relayed to it from now on.
            locator.follow(cluster.locator(slots.placement(directory.placement(),
                    directory instanceof dev.cairn.directory.PostgresDirectory, replication::storeOfSlot)));
            String clusterToken = ClusterToken.of(config.replication().config().secret());
            if (admin != null) DrainAdmin.register(admin, token, clusterToken, cluster::switchOver);
            if (admin != null && store instanceof dev.cairn.store.routing.SlotRouter router) {
                // Online user moves (issue 20), run by the target store's master over the admin endpoints.
                NodeCluster joined = cluster;
                UserMove move = new UserMove(joined::member, replication, slots.byName(), router,
                        directory instanceof dev.cairn.directory.PostgresDirectory ? directory.placement() : null, clusterToken);
                MoveAdmin.register(admin, token, clusterToken, move, replication, slots.byName(), router, directory.placement());
                groupMoves = GroupMoves.start(config.cluster().groupMoves(), () -> joined.controller().isLeader(), directory, move::request);
            }
        }
        serving = true;
        copyOwnAccounts();
    }

    /**
     * A master copies into the store the accounts of its own directory whose users have mail in
     * the slot and no account in the store (users it served before accounts followed the store).
     * In the background, and only once a replica is connected to it as master: a former master
     * started again learns from its peers that it is fenced, and must not write meanwhile.
     */
    private void copyOwnAccounts() {
        // A node of several slots is newer than accounts that follow the store: it has no such users.
        if (slots.size() > 1) return;
        if (!(accounts instanceof dev.cairn.directory.StoreDirectory d) || store.replication().fenceReason() != null) return;
        Thread.ofVirtual().name("cairn-account-copy").start(() -> {
            try {
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
                while (!servingMaster()) {
                    if (closed || store.replication().fenceReason() != null || System.nanoTime() > deadline) return;
                    Thread.sleep(200);
                }
                int copied = d.copyFrom(d.local());
                if (copied > 0) log.info("directory: copied {} account(s) of this node's directory into the store", copied);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                if (!closed) log.warn("directory: could not copy this node's accounts into the store: {}", e.getMessage());
            }
        });
    }

    /** Unfenced, master of its store, and a replica connected to it. */
    private boolean servingMaster() {
        if (store.replication().fenceReason() != null) return false;
        return replication.status().stream().anyMatch(s -> s.role().equals("master")
                && s.channels().stream().anyMatch(dev.cairn.replication.Replication.ChannelStatus::connected));
    }

    /**
     * Reads the certificates and the cluster secret again ({@code cairn reload}, or SIGHUP): the
     * mail listeners' certificate and key ([tls]), and replication's secret_file, certificate, key
     * and trust. Everything is read before anything is replaced: a file that cannot be used
     * throws (one line) and the node keeps all it had. Connections that start afterwards use
     * what was read; established ones go on with what they started with.
     *
     * @return what was reloaded, one line each
     */
    public synchronized List<String> reload() {
        SSLContext mail = mailCertificate(config);
        byte[] secret = null;
        SSLContext replicationTls = null;
        if (replication != null) {
            dev.cairn.server.config.ReplicationSettings.KeyFiles files = config.replication().keyFiles();
            try {
                secret = files.secret();
                replicationTls = files.tls();
            } catch (dev.cairn.server.config.ConfigException e) {
                throw new IllegalArgumentException(e.getMessage() + "; nothing reloaded");
            }
        }
        List<String> done = new ArrayList<>();
        if (replication != null) {
            replication.reload(secret, replicationTls);
            dev.cairn.server.config.ReplicationSettings.KeyFiles files = config.replication().keyFiles();
            done.add("replication: " + (files.secretFile() == null ? "secret in the config (unchanged)" : "secret " + files.secretFile())
                    + (files.certificate() == null ? ", TLS off" : ", certificate " + files.certificate() + ", key " + files.key() + ", trust " + files.trust()));
        }
        done.add(replaceMailCertificate(config, mailTls, mail));
        log.info("reloaded: {}", String.join("; ", done));
        return done;
    }

    /**
     * The mail listeners' certificate and key ([tls]) read again, for a reload (a node's, a
     * front-end's); null when there is no certificate file (the self-signed one stays).
     *
     * @throws IllegalArgumentException (one line) when the files cannot be used: nothing is reloaded
     */
    static SSLContext mailCertificate(NodeConfig config) {
        if (!Files.isRegularFile(config.certificateFile())) return null;
        try {
            return new TlsConfig(null, null, config.certificateFile(), config.keyFile(), null).serverContext();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("tls: cannot load " + config.certificateFile() + " with " + config.keyFile() + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString())) + "; nothing reloaded");
        }
    }

    /** Puts {@code read} ({@link #mailCertificate}) in place for the next handshakes; says what was done. */
    static String replaceMailCertificate(NodeConfig config, dev.cairn.protocol.tls.ReloadableSslContext listeners, SSLContext read) {
        if (read == null) return "mail listeners: no certificate at " + config.certificateFile() + "; the self-signed one stays";
        listeners.replace(read);
        return "mail listeners: certificate " + config.certificateFile() + ", key " + config.keyFile();
    }

    /** The budget's split, and a warning when the JVM was started with more heap than it allows. */
    private static void logMemory(dev.cairn.server.config.MemoryConfig memory) {
        log.info("memory: budget {}: heap {}, RocksDB cache and memtables {}, JVM native {}", mib(memory.total()),
                mib(memory.heap()), mib(memory.store()), mib(dev.cairn.server.config.MemoryConfig.JVM_NATIVE));
        long jvmHeap = Runtime.getRuntime().maxMemory();
        if (jvmHeap > memory.heap()) {
            log.warn("memory: the JVM may use {} of heap, above the budget's {}; start it with the options of "
                    + "`cairn serve --print-jvm-options` (./cairn does)", mib(jvmHeap), mib(memory.heap()));
        }
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    /**
     * The storage engine, chosen here and nowhere else: RocksDB, with {@code memory} octets of
     * block cache and memtables for its slots, reported in {@code meters}.
     */
    public static StoreEngine storeEngine(long memory, MeterRegistry meters) {
        return new dev.cairn.store.rocks.RocksEngine(memory, meters);
    }

    /** The engine for a tool that opens the slot itself (the CLI when no node runs on the data directory). */
    public static StoreEngine standaloneStoreEngine() {
        return storeEngine(dev.cairn.store.rocks.StoreMemory.STANDALONE, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    /** The node's first slot as the config describes it, with the given quota source and meters. */
    public static SlotConfig slotConfig(NodeConfig config, QuotaPolicy quota, MeterRegistry meters) {
        return slotConfig(config, config.store().slots().getFirst(), quota, meters);
    }

    /** The named slot of the node as the config describes it. */
    public static SlotConfig slotConfig(NodeConfig config, String slot, QuotaPolicy quota, MeterRegistry meters) {
        return new SlotConfig(config.metadataDir(slot), config.bodiesDir(slot), config.store().sync(),
                config.store().maxMessageSize(), config.store().channels(), quota, meters, config.store().defaultFolders());
    }

    /**
     * The certificate for STARTTLS and implicit TLS: the configured PEM files when they exist,
     * else a self-signed one made once and kept in the TLS directory (clients will warn), which
     * is then written to the configured PEM files.
     */
    static SSLContext tlsContext(NodeConfig config) throws IOException {
        try {
            if (Files.isRegularFile(config.certificateFile())) {
                log.info("tls: certificate {}", config.certificateFile());
                return new TlsConfig(null, null, config.certificateFile(), config.keyFile(), null).serverContext();
            }
            log.info("tls: no certificate at {}; using a self-signed one in {}", config.certificateFile(), config.tlsDir());
            SelfSignedCertificate selfSigned = SelfSignedCertificate.loadOrCreate(config.tlsDir());
            // As PEM too, where the config names the certificate: for clients to trust, for
            // replication's tls = true; the next start reads these (replace them with your own).
            if (selfSigned.writePem(config.certificateFile(), config.keyFile())) {
                log.info("tls: wrote the self-signed certificate to {} and its key to {}", config.certificateFile(), config.keyFile());
            } else {
                log.warn("tls: {} holds another key: not writing the self-signed certificate as PEM", config.keyFile());
            }
            return selfSigned.serverContext();
        } catch (GeneralSecurityException e) {
            throw new IOException("tls: cannot load the certificate: " + e.getMessage(), e);
        }
    }

    /** The data directory's layout: the slots' directories, the directory database's, the TLS one. */
    public static void createLayout(NodeConfig config) throws IOException {
        if (!Files.exists(config.data())) {
            // Mail, password hashes and the admin token live here: owner only.
            Path parent = config.data().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(config.data(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createDirectories(config.data());
            }
        }
        for (String slot : config.store().slots()) {
            Files.createDirectories(config.metadataDir(slot));
            Files.createDirectories(config.bodiesDir(slot));
        }
        Path dbParent = config.directoryFile().toAbsolutePath().getParent();
        if (dbParent != null) {
            Files.createDirectories(dbParent);
        }
        if (config.tlsDir() != null) {
            Files.createDirectories(config.tlsDir());
        }
    }

    private static String format(InetSocketAddress address) {
        return new ListenAddress(address.getAddress().getHostAddress(), address.getPort()).toString();
    }

    /** An address a client on this machine can connect to: a wildcard bind is reached over loopback. */
    static String reachable(InetSocketAddress address) {
        String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getAddress().getHostAddress();
        return new ListenAddress(host, address.getPort()).toString();
    }

    /** This node's listeners' addresses by name ("imap", "admin", ...), for the admin page. */
    private Map<String, String> ownAddresses() {
        Map<String, String> out = new java.util.TreeMap<>();
        listeners.values().forEach(l -> l.addresses().forEach((name, address) -> out.put(name, format(address))));
        if (admin != null) out.put("admin", format(admin.address()));
        return out;
    }

    public NodeConfig config() { return config; }

    public PrometheusMeterRegistry registry() { return registry; }

    public SqlDirectory directory() { return directory; }

    /** What logins and deliveries ask: {@link #directory()}, or with a replicated store its accounts first. */
    public dev.cairn.directory.Directory accounts() { return accounts; }

    /** What the protocols take: the node's one slot, or the router over its slots. */
    public SlotStore store() { return store; }

    /** The node's slots by name (what replication takes). */
    public NodeSlots slots() { return slots; }

    /** Replication on this node, or null when the config has none. */
    public dev.cairn.replication.Replication replication() { return replication; }

    public boolean serving() { return serving; }

    /** The node's role as logins see it: the same fences that {@link NodeSlots#replicaAware} answers with. */
    public NodeRole role() {
        if (replication == null) return NodeRole.SINGLE;
        // Several slots: a master while it serves some users (another slot's users get the fence at login).
        return slots.anyUnfenced() ? NodeRole.MASTER : NodeRole.REPLICA;
    }

    /** The bound address of a running listener ("imap", "pop3s", "lmtp", ..., or "admin"). */
    public InetSocketAddress address(String listener) {
        if (listener.equals("admin")) {
            if (admin == null) {
                throw new IllegalStateException("admin is not listening");
            }
            return admin.address();
        }
        for (RunningListener running : listeners.values()) {
            InetSocketAddress address = running.addresses().get(listener);
            if (address != null) {
                return address;
            }
        }
        throw new IllegalStateException(listener + " is not listening");
    }

    /** Names of the listeners that listen. */
    public List<String> listening() {
        List<String> names = new ArrayList<>();
        listeners.values().forEach(l -> names.addAll(l.addresses().keySet()));
        if (admin != null) {
            names.add("admin");
        }
        return names;
    }

    /** Asks `serve` to stop (SIGTERM, SIGINT); {@link #awaitStopRequest()} returns. */
    public void requestStop() {
        stopRequested.countDown();
    }

    public void awaitStopRequest() throws InterruptedException {
        stopRequested.await();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        serving = false;
        log.info("stopping");
        if (authHttp != null) authHttp.close();
        for (Map.Entry<String, RunningListener> e : listeners.entrySet()) {
            try {
                e.getValue().close();
            } catch (RuntimeException ex) {
                log.warn("{}: stopping failed", e.getKey(), ex);
            }
        }
        listeners.clear();
        if (admin != null) {
            admin.close();
        }
        if (runFileWritten) {
            try {
                Files.deleteIfExists(config.runFile());
            } catch (IOException ex) {
                log.warn("cannot remove {}: {}", config.runFile(), ex.getMessage());
            }
        }
        if (groupMoves != null) groupMoves.close();
        if (cluster != null) cluster.close();
        if (replication != null) {
            try {
                replication.close();
            } catch (RuntimeException ex) {
                log.warn("replication: stopping failed", ex);
            }
        }
        if (store != null) {
            try {
                store.close();
                log.info("store: closed cleanly");
            } catch (RuntimeException ex) {
                log.error("store: closing failed", ex);
            }
        }
        if (engine != null) {
            engine.close();
        }
        if (directory != null) {
            directory.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        registry.close();
        log.info("stopped");
    }
}
