// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.directory.LocalDomains;
import dev.cairn.imap.ImapConfig;
import dev.cairn.imap.VerifyAccess;
import dev.cairn.protocol.ConnectionLimits;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.store.DefaultFolder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything a node runs with. {@link #defaults()} is the embedded default of `cairn serve`: one
 * slot in ./data, every listener on loopback.
 */
public record NodeConfig(Path data, DirectoryConfig directory, StoreConfig store, ListenerConfig imap,
                         ListenerConfig imaps, ListenerConfig pop3, ListenerConfig pop3s, ListenerConfig lmtp,
                         ListenerConfig admin, TlsConfig tls, LimitsConfig limits, ReplicationSettings replication,
                         List<dev.cairn.protocol.auth.Network> trustedNetworks, LocalDomains localDomains, MemoryConfig memory,
                         ClusterConfig cluster, RelaySettings relay, AuthHttpSettings authHttp) {

    public NodeConfig {
        trustedNetworks = List.copyOf(trustedNetworks);
        java.util.Objects.requireNonNull(relay);
    }

    /** Trusted networks: loopback only; local domains: this machine's. */
    public NodeConfig(Path data, DirectoryConfig directory, StoreConfig store, ListenerConfig imap, ListenerConfig imaps,
                      ListenerConfig pop3, ListenerConfig pop3s, ListenerConfig lmtp, ListenerConfig admin, TlsConfig tls,
                      LimitsConfig limits, ReplicationSettings replication) {
        this(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, VerifyAccess.LOOPBACK,
                MachineNames.localDomains(), MemoryConfig.defaults(), null, RelaySettings.DEFAULT, null);
    }

    /** Without replication (the embedded default). */
    public NodeConfig(Path data, DirectoryConfig directory, StoreConfig store, ListenerConfig imap, ListenerConfig imaps,
                      ListenerConfig pop3, ListenerConfig pop3s, ListenerConfig lmtp, ListenerConfig admin, TlsConfig tls,
                      LimitsConfig limits) {
        this(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, null);
    }

    /** Replication settings ([replication] of the config file), or null: one slot, no replication. */
    public NodeConfig withReplication(ReplicationSettings replication) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    /**
     * The cluster ([cluster] of the config file), or null: a node on its own, or with static stores.
     * A node of a cluster has [replication] (its name, secret, listener) but no configured stores:
     * the cluster's store map names them.
     */
    public NodeConfig withCluster(ClusterConfig cluster) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    /**
     * Where the read-only verification login of `cairn replica verify` is accepted from
     * ([imap] trusted_networks; loopback when unset).
     */
    public NodeConfig withTrustedNetworks(List<dev.cairn.protocol.auth.Network> trustedNetworks) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    /**
     * Where LMTP recipients reach a user by name ([lmtp] local_domains and bare_names; this
     * machine's host name and localhost, and bare names, when unset).
     */
    public NodeConfig withLocalDomains(LocalDomains localDomains) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    /** How this node reaches other nodes when it relays a client's session to its store's master ([proxy]; issue 21). */
    public NodeConfig withRelay(RelaySettings relay) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    /**
     * The auth_http endpoint nginx's mail proxy asks ([proxy] auth_http and auth_http_key_file),
     * or null: none.
     */
    public NodeConfig withAuthHttp(AuthHttpSettings authHttp) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    public static NodeConfig defaults() {
        return new NodeConfig(
                Path.of("data"),
                new DirectoryConfig(Path.of("directory.db"), Optional.empty()),
                new StoreConfig(Path.of("slot-0", "meta"), Path.of("slot-0", "bodies"), true, 64L << 20, 8, DefaultFolder.STANDARD),
                new ListenerConfig("imap", true, new ListenAddress("127.0.0.1", 1143), false),
                new ListenerConfig("imaps", false, new ListenAddress("127.0.0.1", 1993), true),
                new ListenerConfig("pop3", true, new ListenAddress("127.0.0.1", 1110), false),
                new ListenerConfig("pop3s", false, new ListenAddress("127.0.0.1", 1995), true),
                new ListenerConfig("lmtp", true, new ListenAddress("127.0.0.1", 2424), false),
                new ListenerConfig("admin", true, new ListenAddress("127.0.0.1", 8080), false),
                new TlsConfig(Path.of("tls", "cert.pem"), Path.of("tls", "key.pem")),
                new LimitsConfig(10_000, Duration.ofMinutes(30), ConnectionLimits.DEFAULT.maxPerAddress(),
                        ConnectionLimits.DEFAULT.maxPreAuthPerAddress(), ConnectionLimits.DEFAULT.loginTimeout(),
                        ImapConfig.Limits.DEFAULT.maxCommandMemory(), MemoryBudget.quarterOfHeap().capacity(),
                        ImapConfig.HeavyWork.DEFAULT.threads(), ImapConfig.HeavyWork.DEFAULT.perUser(),
                        ImapConfig.HeavyWork.DEFAULT.cpuPerCommand()));
    }

    /** The protocol listeners (not admin), in the order they start. */
    public List<ListenerConfig> protocolListeners() {
        return List.of(imap, imaps, pop3, pop3s, lmtp);
    }

    /** A path from the config: relative ones are under the data directory. */
    public Path resolve(Path path) {
        return data.resolve(path);
    }

    public Path directoryFile() { return resolve(directory.file()); }

    public Path metadataDir() { return resolve(store.metadata()); }

    public Path bodiesDir() { return resolve(store.bodies()); }

    /** The slot's metadata directory: the first slot's is {@link #metadataDir()}, another's {@code slots/NAME/meta}. */
    public Path metadataDir(String slot) {
        return slot.equals(store.slots().getFirst()) ? metadataDir() : data.resolve("slots").resolve(slot).resolve("meta");
    }

    /** The slot's bodies directory: the first slot's is {@link #bodiesDir()}, another's {@code slots/NAME/bodies}. */
    public Path bodiesDir(String slot) {
        return slot.equals(store.slots().getFirst()) ? bodiesDir() : data.resolve("slots").resolve(slot).resolve("bodies");
    }

    public Path certificateFile() { return resolve(tls.certificate()); }

    public Path keyFile() { return resolve(tls.key()); }

    /** Where large incoming messages are spooled while they arrive. */
    public Path spoolDir() { return data.resolve("spool"); }

    /** Where large IMAP APPEND literals are spooled while they arrive. */
    public Path imapSpoolDir() { return data.resolve("spool").resolve("imap"); }

    public Path tlsDir() { return certificateFile().getParent(); }

    /** Written while the node runs: where its admin endpoint is, and the token the CLI uses. */
    public Path runFile() { return data.resolve("server.properties"); }

    public NodeConfig withData(Path data) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    public NodeConfig withListener(ListenerConfig l) {
        return new NodeConfig(data, directory, store,
                l.name().equals("imap") ? l : imap, l.name().equals("imaps") ? l : imaps,
                l.name().equals("pop3") ? l : pop3, l.name().equals("pop3s") ? l : pop3s,
                l.name().equals("lmtp") ? l : lmtp, l.name().equals("admin") ? l : admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    /** The memory budget ([memory]; {@link MemoryConfig#defaults()} when unset). */
    public NodeConfig withMemory(MemoryConfig memory) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    public NodeConfig withDirectory(DirectoryConfig directory) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    public NodeConfig withStore(StoreConfig store) {
        return new NodeConfig(data, directory, store, imap, imaps, pop3, pop3s, lmtp, admin, tls, limits, replication, trustedNetworks, localDomains, memory, cluster, relay, authHttp);
    }

    public ListenerConfig listener(String name) {
        return switch (name) {
            case "imap" -> imap;
            case "imaps" -> imaps;
            case "pop3" -> pop3;
            case "pop3s" -> pop3s;
            case "lmtp" -> lmtp;
            case "admin" -> admin;
            default -> throw new IllegalArgumentException("no listener " + name);
        };
    }
}
