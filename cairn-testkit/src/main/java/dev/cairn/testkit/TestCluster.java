// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The node configs of a test cluster, written once here instead of a TOML block per test: each
 * node {@code n} gets {@code <dir>/n.toml} with its data in {@code <dir>/n}, a port of
 * {@link Ports} on loopback for each listener it runs, and (when {@link Builder#replicated}) the
 * {@code [replication]} section that names every peer and one replicated store {@code s1} whose
 * master is the first node's slot s0 and whose replicas are the other nodes' s0 (or the stores of
 * {@link Builder#storeOfSlots}, over the slots each node names in
 * {@link Builder#slots}).
 *
 * <p>A node is started with {@link #start}, which starts it again on new ports when one of its
 * ports was taken by another process between the check and the bind.
 */
public final class TestCluster {
    /** The replication listener's name among {@link #port}'s listeners. */
    public static final String REPLICATION = "repl";

    private final Builder spec;
    private final Map<String, Map<String, Integer>> ports = new ConcurrentHashMap<>();
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    /** Per node, peers it reaches on another port than theirs (a {@link FaultProxy} between them). */
    private final Map<String, Map<String, Integer>> routes = new ConcurrentHashMap<>();

    private TestCluster(Builder spec) throws IOException {
        this.spec = spec;
        for (String node : spec.nodes) ports.put(node, newPorts());
        writeAll();
    }

    /** A cluster of {@code nodes} (the first is the master) whose files go into {@code dir}. */
    public static Builder of(Path dir, String... nodes) {
        return new Builder(dir, List.of(nodes));
    }

    public static final class Builder {
        private final Path dir;
        private final List<String> nodes;
        private final List<String> listeners = new ArrayList<>(), disabled = new ArrayList<>();
        private final Map<String, String> hosts = new ConcurrentHashMap<>(), nodeHosts = new ConcurrentHashMap<>();
        private final List<String> store = new ArrayList<>(), directory = new ArrayList<>(), replication = new ArrayList<>(), storeS1 = new ArrayList<>();
        private final Map<String, Map<String, List<String>>> nodeLines = new ConcurrentHashMap<>();
        /** Stores other than the default s1: name, master, replicas. */
        private final List<List<String>> stores = new ArrayList<>();
        private String secret, mode;
        /** Lines of every node's [cluster] section; null: no cluster (the stores are [replication]'s). */
        private List<String> cluster;

        private Builder(Path dir, List<String> nodes) {
            this.dir = dir;
            this.nodes = nodes;
        }

        /** Lines of the [store] section, e.g. {@code sync = false}. */
        public Builder store(String... lines) { store.addAll(Arrays.asList(lines)); return this; }

        /** Lines of every node's [directory] section, e.g. the {@code url} of a shared PostgreSQL ({@link PostgresServer}). */
        public Builder directory(String... lines) { directory.addAll(Arrays.asList(lines)); return this; }

        /** Listeners (imap, lmtp, pop3, admin) that each node runs on a port of its own. */
        public Builder listen(String... names) { listeners.addAll(Arrays.asList(names)); return this; }

        /** Listeners that are off ({@code enabled = false}). */
        public Builder disable(String... names) { disabled.addAll(Arrays.asList(names)); return this; }

        /** {@code listener} listens on {@code host} rather than 127.0.0.1. */
        public Builder host(String listener, String host) { hosts.put(listener, host); return this; }

        /**
         * {@code node}'s {@code listener} (imap, lmtp, admin, ..., or {@link #REPLICATION}) listens on
         * {@code host} (e.g. an address of a network namespace the node runs in).
         */
        public Builder host(String node, String listener, String host) { nodeHosts.put(node + "/" + listener, host); return this; }

        /** A [replication] section with this cluster secret and store s1 in {@code mode} (null: the default mode). */
        public Builder replicated(String secret, String mode) {
            this.secret = secret;
            this.mode = mode;
            return this;
        }

        /**
         * Nodes of a cluster on ZooKeeper ({@link ZooKeeperEnsemble#connectString}): a [cluster]
         * section with these lines besides {@code zookeeper}, and [replication] with this node's name,
         * listener and the secret only (no peers, no stores: the cluster's store map names them).
         */
        public Builder cluster(String secret, String zookeeper, String... lines) {
            this.secret = secret;
            this.cluster = new ArrayList<>(List.of("zookeeper = \"" + zookeeper + "\""));
            this.cluster.addAll(Arrays.asList(lines));
            return this;
        }

        /** More lines of every node's [replication] section, e.g. {@code sync_timeout = "3s"}. */
        public Builder replication(String... lines) { replication.addAll(Arrays.asList(lines)); return this; }

        /** More lines of store s1's [[replication.stores]] table, e.g. {@code on_replica_loss = "refuse"}. */
        public Builder replicatedStore(String... lines) { storeS1.addAll(Arrays.asList(lines)); return this; }

        /** The node's slots ({@code [store] slots}), e.g. {@code slots("n1", "a", "b")}. */
        public Builder slots(String node, String... names) {
            return lines(node, "store", "slots = [" + Arrays.stream(names).map(n -> "\"" + n + "\"").collect(Collectors.joining(", ")) + "]");
        }

        /**
         * A replicated store (in the default mode) with its master and replica slots ("n1/a"), instead of
         * the default store s1; call once per store.
         */
        public Builder storeOfSlots(String name, String master, String... replicas) {
            List<String> s = new ArrayList<>(List.of(name, master));
            s.addAll(Arrays.asList(replicas));
            stores.add(s);
            return this;
        }

        /**
         * More lines of one node's {@code section}, one the cluster writes (e.g. its [replication] TLS lines, its [imap]
         * trusted_networks), or [proxy] (written for this node only).
         */
        public Builder lines(String node, String section, String... lines) {
            nodeLines.computeIfAbsent(node, n -> new ConcurrentHashMap<>()).computeIfAbsent(section, s -> new ArrayList<>())
                    .addAll(Arrays.asList(lines));
            return this;
        }

        /** Picks the ports and writes every node's config. */
        public TestCluster build() throws IOException { return new TestCluster(this); }
    }

    /** Starts a node from its config file. */
    @FunctionalInterface
    public interface Starter<T> {
        T start(Path config) throws Exception;
    }

    /**
     * Starts {@code node} with {@code starter}. When it fails because a port was taken, the node
     * gets new ports (its replication port too while no node has started, since the others'
     * configs name it) and is started again, up to three times; not when the test has edited a
     * config file since the cluster wrote it (the edit would be lost).
     */
    public <T> T start(String node, Starter<T> starter) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                T running = starter.start(config(node));
                started.add(node);
                return running;
            } catch (Exception | AssertionError failure) {
                if (attempt == 3 || !Ports.isClash(failure) || edited() || !routes.isEmpty()) throw failure; // proxies name the old ports
                Map<String, Integer> fresh = new LinkedHashMap<>(newPorts());
                if (!started.isEmpty() && fresh.containsKey(REPLICATION)) fresh.put(REPLICATION, port(node, REPLICATION));
                ports.put(node, fresh);
                writeAll();
            }
        }
    }

    public List<String> nodes() { return spec.nodes; }

    /**
     * From now on {@code from} reaches {@code peer}'s replication listener through {@code port}
     * (a {@link FaultProxy} to {@code port(peer, REPLICATION)}); rewrites {@code from}'s config,
     * so call it before {@code from} starts (or restart it).
     */
    public void route(String from, String peer, int port) throws IOException {
        routes.computeIfAbsent(from, n -> new ConcurrentHashMap<>()).put(peer, port);
        writeAll();
    }

    /** A proxy from each node to each other node's replication listener, each in its config. */
    public Map<String, FaultProxy> proxies() throws IOException {
        Map<String, FaultProxy> all = new LinkedHashMap<>();
        for (String from : spec.nodes) {
            for (String peer : spec.nodes) {
                if (peer.equals(from)) continue;
                FaultProxy p = FaultProxy.to(port(peer, REPLICATION));
                all.put(from + "->" + peer, p);
                route(from, peer, p.port());
            }
        }
        return all;
    }

    /** The port of {@code listener} (imap, lmtp, pop3, admin, repl) of {@code node}. */
    public int port(String node, String listener) {
        Integer port = ports.get(node).get(listener);
        if (port == null) throw new IllegalArgumentException(node + " has no " + listener + " listener");
        return port;
    }

    /** The address {@code node}'s {@code listener} listens on: 127.0.0.1 unless the builder's {@code host} said otherwise. */
    public String host(String node, String listener) {
        String h = spec.nodeHosts.get(node + "/" + listener);
        if (h != null) return h;
        return listener.equals(REPLICATION) ? "127.0.0.1" : spec.hosts.getOrDefault(listener, "127.0.0.1");
    }

    public Path config(String node) { return spec.dir.resolve(node + ".toml"); }

    public Path data(String node) { return spec.dir.resolve(node); }

    /** The config file's text. */
    public String toml(String node) {
        StringBuilder t = new StringBuilder("data = \"" + data(node).toString().replace("\\", "/") + "\"\n");
        section(t, node, "store", spec.store);
        section(t, node, "directory", spec.directory);
        for (String l : spec.listeners) {
            section(t, node, l, List.of("listen = \"" + host(node, l) + ":" + port(node, l) + "\""));
        }
        for (String l : spec.disabled) section(t, node, l, List.of("enabled = false"));
        section(t, node, "proxy", List.of()); // only a node given lines of its own, e.g. [proxy] auth_http
        if (spec.secret != null) {
            List<String> lines = new ArrayList<>(List.of("node = \"" + node + "\"", "listen = \"" + host(node, REPLICATION) + ":" + port(node, REPLICATION) + "\"",
                    "secret = \"" + spec.secret + "\""));
            lines.addAll(spec.replication);
            section(t, node, "replication", lines);
            if (spec.cluster != null) {
                // Only routed peers: the others' addresses come from their registrations.
                Map<String, Integer> via = routes.getOrDefault(node, Map.of());
                if (!via.isEmpty()) t.append("[replication.peers]\n");
                new java.util.TreeMap<>(via).forEach((peer, port) -> t.append(peer).append(" = \"127.0.0.1:").append(port).append("\"\n"));
                section(t, node, "cluster", spec.cluster);
                return t.toString();
            }
            t.append("[replication.peers]\n");
            Map<String, Integer> via = routes.getOrDefault(node, Map.of());
            for (String peer : spec.nodes) {
                int p = peer.equals(node) ? port(peer, REPLICATION) : via.getOrDefault(peer, port(peer, REPLICATION));
                t.append(peer).append(" = \"127.0.0.1:").append(p).append("\"\n");
            }
            for (List<String> store : spec.stores) {
                t.append("[[replication.stores]]\nname = \"").append(store.get(0)).append("\"\n");
                if (spec.mode != null) t.append("mode = \"").append(spec.mode).append("\"\n");
                t.append("master = \"").append(store.get(1)).append("\"\n");
                t.append("replicas = [").append(store.stream().skip(2).map(n -> "\"" + n + "\"").collect(Collectors.joining(", "))).append("]\n");
                for (String l : spec.storeS1) t.append(l).append('\n');
            }
            if (!spec.stores.isEmpty()) return t.toString();
            t.append("[[replication.stores]]\nname = \"s1\"\n");
            if (spec.mode != null) t.append("mode = \"").append(spec.mode).append("\"\n");
            t.append("master = \"").append(spec.nodes.getFirst()).append("/s0\"\n");
            t.append("replicas = [").append(spec.nodes.stream().skip(1).map(n -> "\"" + n + "/s0\"").collect(Collectors.joining(", "))).append("]\n");
            for (String l : spec.storeS1) t.append(l).append('\n');
        }
        return t.toString();
    }

    private void section(StringBuilder t, String node, String name, List<String> lines) {
        List<String> more = spec.nodeLines.getOrDefault(node, Map.of()).getOrDefault(name, List.of());
        if (lines.isEmpty() && more.isEmpty()) return;
        t.append('[').append(name).append("]\n");
        for (String l : lines) t.append(l).append('\n');
        for (String l : more) t.append(l).append('\n');
    }

    private Map<String, Integer> newPorts() throws IOException {
        Map<String, Integer> p = new LinkedHashMap<>();
        for (String l : spec.listeners) p.put(l, Ports.free());
        if (spec.secret != null) p.put(REPLICATION, Ports.free());
        return p;
    }

    private boolean edited() throws IOException {
        for (String node : spec.nodes) if (!Files.readString(config(node)).equals(toml(node))) return true;
        return false;
    }

    private void writeAll() throws IOException {
        for (String node : spec.nodes) Files.writeString(config(node), toml(node));
    }
}
