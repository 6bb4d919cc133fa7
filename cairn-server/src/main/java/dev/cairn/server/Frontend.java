// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.FrontendMember;
import dev.cairn.cluster.FrontendRecord;
import dev.cairn.directory.SqlDirectory;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.proxy.AuthHttpEndpoint;
import dev.cairn.proxy.ClusterLocator;
import dev.cairn.proxy.FollowingLocator;
import dev.cairn.proxy.RelayRoutes;
import dev.cairn.server.config.ListenAddress;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.server.config.ProxyConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running {@code cairn proxy} (issue 21): a front-end that holds no mail. Its IMAP and POP3
 * servers are a node's, up to the login (greeting, CAPABILITY, STARTTLS and implicit TLS, the
 * login checked against the cluster's PostgreSQL directory through the throttle); then every session
 * is relayed to the master of the user's store ({@link RelayRoutes} over a {@link ClusterLocator}
 * with no node of its own). It registers in the cluster as {@code frontends/<name>} with its
 * listeners' addresses. Its LMTP is the LMTP proxy (each recipient forwarded to its store's master,
 * one reply per recipient in order), and with {@code [proxy] auth_http} it answers nginx's mail
 * proxy. Admin: {@code /health}, {@code /metrics}, and {@code POST /reload} with the token of
 * {@code data/server.properties} ({@code cairn reload}), as a node's.
 */
public final class Frontend implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Frontend.class);

    private final ProxyConfig config;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, RunningListener> listeners = new LinkedHashMap<>();
    private NodeMetrics metrics;
    private SqlDirectory directory;
    private FrontendMember member;
    private AdminServer admin;
    /** Until the proxy joined the cluster no user can be placed (Nowhere: a temporary failure). */
    private final FollowingLocator locator = new FollowingLocator();
    private AuthHttpEndpoint authHttp;
    /** The mail listeners' certificate, replaced by {@link #reload}. */
    private dev.cairn.protocol.tls.ReloadableSslContext mailTls;
    private volatile boolean serving;
    /** Whether this front-end wrote data/server.properties (its admin address and token), removed on close. */
    private boolean runFileWritten;
    private boolean closed;
    private final java.util.concurrent.CountDownLatch stopRequested = new java.util.concurrent.CountDownLatch(1);

    private Frontend(ProxyConfig config) {
        this.config = config;
    }

    /** The protocols a front-end serves: IMAP and POP3 as a node's up to the login, LMTP as the LMTP proxy. */
    public static Map<String, ListenerStarter> builtIn() {
        Map<String, ListenerStarter> starters = new LinkedHashMap<>();
        starters.put("imap", ProtocolListeners::imap);
        starters.put("pop3", ProtocolListeners::pop3);
        starters.put("lmtp", (plain, implicitTls, node) -> ProtocolListeners.lmtp(node, plain.orElseThrow()));
        return starters;
    }

    /** Starts a front-end; on any failure, what was started is stopped again and the cause thrown. */
    public static Frontend start(ProxyConfig config, Map<String, ListenerStarter> starters) throws IOException {
        Frontend f = new Frontend(config);
        try {
            f.startAll(starters);
            return f;
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private void startAll(Map<String, ListenerStarter> starters) throws IOException {
        NodeConfig c = config.shared();
        Files.createDirectories(c.data());
        // The run file says where `cairn reload` finds this proxy; a node's or another proxy's is not taken over.
        RunFile other = c.admin().enabled() ? RunFile.read(c.runFile()).filter(RunFile::processAlive).orElse(null) : null;
        if (other != null) {
            throw new IllegalStateException("data directory " + c.data().toAbsolutePath().normalize() + " is in use by pid " + other.pid()
                    + " (its " + c.runFile().getFileName() + "): give the proxy a data directory of its own (data = \"...\")");
        }
        if (c.tlsDir() != null) Files.createDirectories(c.tlsDir());
        metrics = new NodeMetrics(registry, Frontend.class.getPackage().getImplementationVersion());
        directory = Directories.open(c);
        log.info("directory: {}", directory);
        NodeServices.Relaying relaying = new NodeServices.Relaying(locator, c.relay().relayConfig(config.secret().secret(), null));
        mailTls = dev.cairn.protocol.tls.ReloadableSslContext.of(Node.tlsContext(c));
        NodeServices services = new NodeServices(c, new NoMailStore(), directory, registry, mailTls,
                new DirectoryAuthenticator(directory, registry),
                new AuthThrottle(AuthThrottle.Config.DEFAULT, Clock.systemUTC(), AuthThrottle.Sleeper.REAL),
                null, new MemoryBudget(c.limits().commandMemory()), new RelayRoutes(locator, relaying.config(), registry), relaying);
        ProtocolListeners.startAll(c, starters, services, listeners);
        authHttp = NodeAuthHttp.start(c, listeners, services.authenticator(), services.throttle(), relaying, null, registry);
        if (c.admin().enabled()) {
            String token = RunFile.newToken();
            admin = AdminServer.startFrontend(c.admin().address().socketAddress(), registry, () -> serving);
            // `cairn reload --config <the proxy's config>`: what SIGHUP does, with an answer (what was reloaded, or why not).
            ReplicationAdmin.context(admin, token, "/reload", "POST", q -> reload() + "\n");
            log.info("admin: listening on http://{}/ (/health, /metrics, POST /reload)", format(admin.address()));
            new RunFile(Node.reachable(admin.address()), ProcessHandle.current().pid(), token).write(c.runFile());
            runFileWritten = true;
        }
        Map<String, String> addresses = new TreeMap<>();
        listeners.values().forEach(l -> l.addresses().forEach((kind, a) -> {
            if (FrontendRecord.ADDRESS_KINDS.contains(kind)) addresses.put(kind, AdvertisedAddress.of(a, c.cluster().advertise()));
        }));
        if (admin != null) addresses.put("admin", AdvertisedAddress.of(admin.address(), c.cluster().advertise()));
        String version = Frontend.class.getPackage().getImplementationVersion();
        member = new FrontendMember(c.cluster(), new FrontendRecord(config.name(), addresses, version == null ? "dev" : version, System.currentTimeMillis()));
        try {
            member.start();
        } catch (Exception e) {
            throw e instanceof IOException io ? io : new IOException("cluster: cannot join " + c.cluster().zookeeper() + c.cluster().root() + ": " + e, e);
        }
        locator.follow(new ClusterLocator(member.observer(), directory.placement()::storeOf, null));
        serving = true;
    }

    private static String format(InetSocketAddress address) {
        return new ListenAddress(address.getAddress().getHostAddress(), address.getPort()).toString();
    }

    /** The bound address of a running listener ("imap", "pop3s", ..., or "admin"). */
    public InetSocketAddress address(String listener) {
        if (listener.equals("admin") && admin != null) return admin.address();
        for (RunningListener l : listeners.values()) {
            InetSocketAddress a = l.addresses().get(listener);
            if (a != null) return a;
        }
        throw new IllegalStateException(listener + " is not listening");
    }

    /**
     * Reads the mail listeners' certificate and key ([tls]) again (SIGHUP): a renewed certificate
     * without a restart, which would end every relayed session. Connections that start afterwards
     * present it; established ones keep theirs. A file that cannot be used throws (one line) and
     * the front-end keeps what it had.
     *
     * @return what was reloaded
     */
    public synchronized String reload() {
        String done = Node.replaceMailCertificate(config.shared(), mailTls, Node.mailCertificate(config.shared()));
        log.info("reloaded: {}", done);
        return done;
    }

    public void requestStop() { stopRequested.countDown(); }

    public void awaitStopRequest() throws InterruptedException { stopRequested.await(); }

    /** Stops the listeners (no new sessions), the admin endpoint, leaves the cluster, closes the directory. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        serving = false;
        for (Map.Entry<String, RunningListener> e : listeners.entrySet()) {
            try {
                e.getValue().close();
            } catch (RuntimeException ex) {
                log.warn("{}: stopping failed", e.getKey(), ex);
            }
        }
        listeners.clear();
        if (authHttp != null) authHttp.close();
        if (admin != null) admin.close();
        if (runFileWritten) {
            try {
                Files.deleteIfExists(config.shared().runFile());
            } catch (IOException e) {
                log.warn("cannot remove {}: {}", config.shared().runFile(), e.getMessage());
            }
        }
        if (member != null) member.close();
        if (directory != null) directory.close();
        if (metrics != null) metrics.close();
        registry.close();
        log.info("stopped");
    }
}
