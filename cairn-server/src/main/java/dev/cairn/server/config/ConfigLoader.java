// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.directory.Addresses;
import dev.cairn.directory.LocalDomains;
import dev.cairn.directory.PasswordHasher;
import dev.cairn.directory.PasswordPolicy;
import dev.cairn.directory.PostgresDirectory;
import dev.cairn.imap.ImapConfig;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a node's config: the embedded defaults, overlaid by a TOML file. Every key the file may
 * hold is listed here; any other key is an error naming it, so a typo never silently leaves a
 * default in place. Values are read through {@link ConfigReader}, whose errors name the key.
 *
 * <pre>
 * data = "/var/lib/cairn"            # the data directory; relative paths below are inside it
 *
 * [directory]
 * file = "directory.db"
 * # url = "postgresql://db.example.org:5432/cairn"   # a cluster's directory (then user and password_file too)
 * default_domain = "example.org"
 * min_password_length = 8            # for new passwords (user add, user passwd)
 *
 * [store]
 * slots = ["s0"]                     # this node's slots (at most 64; a-z, 0-9, '-', '_'); each is the master or a
 *                                    # replica of its own store ([replication]); the first keeps metadata/bodies,
 *                                    # the others live in slots/NAME/meta and slots/NAME/bodies
 * metadata = "slot-0/meta"           # fast disk
 * bodies = "slot-0/bodies"           # big disk
 * sync = true
 * max_message_size = "64M"
 * channels = 8
 * default_folders = [                # what a new account gets besides INBOX, subscribed, in this order
 *   { name = "Drafts", special_use = "drafts" },   # RFC 6154 attribute: all, archive, drafts,
 *   { name = "Sent", special_use = "sent" },       # flagged, junk, sent, trash, important
 *   { name = "Junk", special_use = "junk" },
 *   { name = "Trash", special_use = "trash" },
 *   { name = "Archive", special_use = "archive" },
 *   { name = "Lists" },                            # none
 * ]
 *
 * [imap]                             # also [imaps], [pop3], [pop3s], [lmtp], [admin]
 * listen = "127.0.0.1:1143"
 * enabled = true
 * trusted_networks = ["10.0.0.0/8"]  # [imap] only: where `cairn replica verify` may log in (default: loopback)
 * plaintext_auth_networks = ["10.0.0.5"] # [imap] and [pop3]: peers off loopback that may log in without TLS
 *                                    # (nginx's mail proxy; default: none, LOGINDISABLED / no USER for them)
 *
 * [lmtp]
 * local_domains = ["mx.example.org", "localhost"] # user@these is user NAME (default: host name, localhost)
 * bare_names = true                  # RCPT TO:&lt;NAME&gt; is user NAME
 *
 * [tls]
 * certificate = "tls/cert.pem"
 * key = "tls/key.pem"
 *
 * [limits]
 * max_connections = 10000
 * idle_timeout = "30m"
 * max_connections_per_address = 1000
 * max_preauth_connections_per_address = 250
 * login_timeout = "2m"
 * command_memory_per_connection = "1M"
 * command_memory = "1G"              # default: a quarter of the JVM's maximum heap
 * heavy_command_threads = 3          # default: one fewer than the cores, at least 1
 * heavy_commands_per_user = 2
 * heavy_command_cpu = "30s"
 *
 * [memory]                           # see MemoryConfig for the split
 * total = "320M"                     # the whole process: heap, RocksDB, the JVM's own
 *
 * [replication]                      # absent: one slot, no replication (see ReplicationSettings)
 * node = "n1"
 *
 * [cluster]                          # absent: no ZooKeeper; the stores are [replication]'s (see ClusterSettings)
 * zookeeper = "zk1:2181,zk2:2181,zk3:2181"
 *
 * [proxy]                            # how logins are relayed to other nodes (see RelaySettings)
 * login_wait = "15s"
 * auth_http = "127.0.0.1:9143"       # nginx's mail proxy asks here where each login goes (AuthHttpSettings)
 * auth_http_key_file = "auth_http.key"
 * </pre>
 *
 * <p>{@code cairn proxy}'s config ({@link #loadProxy}) is read by the same code: the shared sections
 * mean the same, [store] and [replication] are refused (it holds no mail), [directory] url and
 * [cluster] are required, and [proxy] names it and holds the cluster secret ({@link ProxyConfig}).
 */
public final class ConfigLoader {
    /** Each is a platform thread: a bound on what a typo makes the node start. */
    static final int MAX_HEAVY_COMMAND_THREADS = 1024;
    private static final Set<String> LISTENERS = Set.of("imap", "imaps", "pop3", "pop3s", "lmtp", "admin");
    private static final Map<String, Set<String>> SECTIONS = Map.of(
            "directory", Set.of("file", "default_domain", "min_password_length", "url", "user", "password_file", "pool_size", "timeout"),
            "store", Set.of("metadata", "bodies", "sync", "max_message_size", "channels", "default_folders", "slots"),
            "tls", Set.of("certificate", "key"),
            "memory", Set.of("total"),
            "limits", Set.of("max_connections", "idle_timeout", "max_connections_per_address",
                    "max_preauth_connections_per_address", "login_timeout", "command_memory_per_connection", "command_memory",
                    "heavy_command_threads", "heavy_commands_per_user", "heavy_command_cpu"));
    /** Keys of every listener section; some listeners have more (LISTENER_EXTRAS). */
    private static final Set<String> LISTENER_KEYS = Set.of("listen", "enabled");
    private static final Map<String, Set<String>> LISTENER_EXTRAS = Map.of(
            "imap", Set.of("trusted_networks", "plaintext_auth_networks"),
            "pop3", Set.of("plaintext_auth_networks"),
            "lmtp", Set.of("local_domains", "bare_names"));

    private ConfigLoader() {}

    public static NodeConfig load(Path file) {
        return parse(read(file), file.toString());
    }

    /** A {@code cairn proxy}'s config file. */
    public static ProxyConfig loadProxy(Path file) {
        return parseProxy(read(file), file.toString());
    }

    /**
     * Whether the file is a {@code cairn proxy}'s config rather than a node's: its {@code [proxy]}
     * table names the proxy (a node's {@code [proxy]} has no name). For commands that take either.
     */
    public static boolean isProxy(Path file) {
        TomlTable proxy = toml(read(file), file.toString()).getTable("proxy");
        return proxy != null && proxy.contains("name");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read config " + file + ": " + e.getMessage());
        }
    }

    /** The defaults overlaid by the TOML text; {@code source} names it in error messages. */
    public static NodeConfig parse(String toml, String source) {
        return parse(toml(toml, source), source, false);
    }

    /** A {@code cairn proxy}'s config: see {@link ProxyConfig}. */
    public static ProxyConfig parseProxy(String toml, String source) {
        TomlParseResult result = toml(toml, source);
        return ProxyConfig.of(parse(result, source, true), result.getTable("proxy"), source);
    }

    private static TomlParseResult toml(String toml, String source) {
        TomlParseResult result = Toml.parse(toml);
        if (result.hasErrors()) {
            throw new ConfigException(source + ": " + result.errors().getFirst().toString());
        }
        return result;
    }

    private static NodeConfig parse(TomlParseResult result, String source, boolean proxy) {
        ConfigReader r = new ConfigReader(source, SECTIONS);
        NodeConfig d = NodeConfig.defaults();

        if (proxy) {
            if (result.contains("store")) {
                throw r.error("[store]", "a proxy holds no mail: remove the section (a proxy has listeners, [directory] url, [cluster] and [proxy])");
            }
            if (result.contains("replication")) {
                throw r.error("[replication]", "a proxy has no slots and replicates nothing: remove the section; the cluster secret goes in"
                        + " [proxy] secret_file, the nodes' CA in [proxy] backend_ca");
            }
            r.checkKeys(result, "", union(Set.of("data", "cluster", "proxy"), SECTIONS.keySet(), LISTENERS));
        } else {
            r.checkKeys(result, "", union(Set.of("data", "replication", "cluster", "proxy"), SECTIONS.keySet(), LISTENERS));
        }
        Path data = r.path(result, "data").orElse(d.data());

        TomlTable dir = r.section(result, "directory");
        DirectoryConfig directory = new DirectoryConfig(
                r.path(dir, "directory.file").orElse(d.directory().file()),
                r.string(dir, "directory.default_domain").map(domain -> {
                    if (Addresses.problem("postmaster@" + domain) != null) {
                        throw r.error("directory.default_domain", "'" + domain + "' is not a domain name");
                    }
                    return domain;
                }).or(d.directory()::defaultDomain),
                r.integer(dir, "directory.min_password_length", 1, PasswordHasher.MAX_PASSWORD_LENGTH)
                        .map(PasswordPolicy::new).orElse(d.directory().passwordPolicy()),
                postgres(r, dir, data));

        TomlTable st = r.section(result, "store");
        StoreConfig store = new StoreConfig(
                r.path(st, "store.metadata").orElse(d.store().metadata()),
                r.path(st, "store.bodies").orElse(d.store().bodies()),
                r.bool(st, "store.sync").orElse(d.store().sync()),
                r.size(st, "store.max_message_size").orElse(d.store().maxMessageSize()),
                r.integer(st, "store.channels", 1, 1024).orElse(d.store().channels()),
                r.folders(st, "store.default_folders").orElse(d.store().defaultFolders()),
                r.slots(st, "store.slots").orElse(d.store().slots()));

        TomlTable t = r.section(result, "tls");
        TlsConfig tls = new TlsConfig(r.path(t, "tls.certificate").orElse(d.tls().certificate()),
                r.path(t, "tls.key").orElse(d.tls().key()));

        TomlTable l = r.section(result, "limits");
        LimitsConfig dl = d.limits();
        Duration heavyCommandCpu = r.duration(l, "limits.heavy_command_cpu").orElse(dl.heavyCommandCpu());
        if (heavyCommandCpu.compareTo(Duration.ofSeconds(1)) < 0) {
            throw r.error("limits.heavy_command_cpu", "must be at least 1s");
        }
        LimitsConfig limits = new LimitsConfig(
                r.integer(l, "limits.max_connections", 1, Integer.MAX_VALUE).orElse(dl.maxConnections()),
                r.duration(l, "limits.idle_timeout").orElse(dl.idleTimeout()),
                r.integer(l, "limits.max_connections_per_address", 1, Integer.MAX_VALUE).orElse(dl.maxConnectionsPerAddress()),
                r.integer(l, "limits.max_preauth_connections_per_address", 1, Integer.MAX_VALUE)
                        .orElse(dl.maxPreAuthConnectionsPerAddress()),
                r.duration(l, "limits.login_timeout").orElse(dl.loginTimeout()),
                r.size(l, "limits.command_memory_per_connection").orElse(dl.commandMemoryPerConnection()),
                r.size(l, "limits.command_memory").orElse(dl.commandMemory()),
                r.integer(l, "limits.heavy_command_threads", 1, MAX_HEAVY_COMMAND_THREADS).orElse(dl.heavyCommandThreads()),
                r.integer(l, "limits.heavy_commands_per_user", 1, Integer.MAX_VALUE).orElse(dl.heavyCommandsPerUser()),
                heavyCommandCpu);
        if (limits.commandMemoryPerConnection() < ImapConfig.Limits.DEFAULT.maxLineLength()) {
            throw r.error("limits.command_memory_per_connection", "must hold at least one command line ("
                    + ImapConfig.Limits.DEFAULT.maxLineLength() + " octets)");
        }

        TomlTable m = r.section(result, "memory");
        MemoryConfig memory = new MemoryConfig(r.size(m, "memory.total", MemoryConfig.MIN_TOTAL, MemoryConfig.MAX_TOTAL)
                .orElse(d.memory().total()));

        NodeConfig config = new NodeConfig(data, directory, store, d.imap(), d.imaps(), d.pop3(), d.pop3s(), d.lmtp(),
                d.admin(), tls, limits).withMemory(memory);
        for (String name : List.of("imap", "imaps", "pop3", "pop3s", "lmtp", "admin")) {
            TomlTable section = r.section(result, name);
            if (section == null) {
                continue;
            }
            r.checkKeys(section, name + ".", union(LISTENER_KEYS, LISTENER_EXTRAS.getOrDefault(name, Set.of())));
            if (name.equals("imap") && section.contains("trusted_networks")) {
                config = config.withTrustedNetworks(r.networks(section, "imap.trusted_networks"));
            }
            if (name.equals("lmtp") && (section.contains("local_domains") || section.contains("bare_names"))) {
                config = config.withLocalDomains(LocalDomains.of(
                        r.domains(section, "lmtp.local_domains").orElse(List.copyOf(d.localDomains().domains())),
                        r.bool(section, "lmtp.bare_names").orElse(d.localDomains().bareNames())));
            }
            ListenerConfig def = d.listener(name);
            ListenAddress address = r.string(section, name + ".listen").map(s -> r.address(name + ".listen", s))
                    .orElse(def.address());
            boolean enabled = r.bool(section, name + ".enabled").orElse(section.contains("listen") || def.enabled());
            List<dev.cairn.protocol.auth.Network> plaintextAuth = section.contains("plaintext_auth_networks")
                    ? r.networks(section, name + ".plaintext_auth_networks") : def.plaintextAuthNetworks();
            config = config.withListener(new ListenerConfig(name, enabled, address, def.implicitTls(), plaintextAuth));
        }
        AuthHttpSettings authHttp = authHttp(r, r.section(result, "proxy"), data);
        if (authHttp != null) config = config.withAuthHttp(authHttp);
        Object replication = result.get(List.of("replication"));
        if (replication != null) {
            if (!(replication instanceof TomlTable table)) throw new ConfigException(source + ": replication: must be a table ([replication])");
            ReplicationSettings settings = ReplicationSettings.parse(table, source, data, tls, result.contains("cluster"));
            if (table.contains("slot")) {
                // Before a node held several slots, [replication] slot named its one slot.
                if (st != null && st.contains("slots")) {
                    throw r.error("replication.slot", "the node's slots are named in [store] slots; remove this key");
                }
                if (SlotNames.problem(settings.slot()) != null) {
                    throw r.error("replication.slot", "'" + settings.slot() + "' " + SlotNames.problem(settings.slot()));
                }
                config = config.withStore(store.withSlots(List.of(settings.slot())));
            }
            config = config.withReplication(settings);
            SlotNames.requireOwnSlots(config, what -> r.error("replication.stores", what));
        }
        Object cluster = result.get(List.of("cluster"));
        if (cluster != null) {
            if (!(cluster instanceof TomlTable table)) throw r.error("cluster", "must be a table ([cluster])");
            config = config.withCluster(proxy ? ClusterSettings.read(table, source) : ClusterSettings.parse(table, source, config));
        }
        Object relay = result.get(List.of("proxy"));
        if (relay != null) {
            if (!(relay instanceof TomlTable table)) throw r.error("proxy", "must be a table ([proxy])");
            config = config.withRelay(RelaySettings.parse(table, source, data, proxy));
        }
        if (proxy) {
            if (config.cluster() == null) throw r.error("[cluster]", "is required: a proxy finds where each user is served in the cluster (zookeeper = \"...\")");
            if (directory.postgres().isEmpty()) {
                throw r.error("directory.url", "is required: a proxy checks logins against the cluster's PostgreSQL directory and finds each user's"
                        + " store in its placement table (a node's own directory file cannot be seen from here)");
            }
        }
        return config;
    }

    /**
     * The cluster's directory: {@code url = "postgresql://HOST:PORT/DATABASE"} with {@code user},
     * {@code password_file} (relative: under the data directory; the password itself is never in
     * the config), {@code pool_size} and {@code timeout}; empty without {@code url} (the node's
     * SQLite file).
     */
    private static Optional<PostgresDirectory.Settings> postgres(ConfigReader r, TomlTable dir, Path data) {
        Optional<String> url = r.string(dir, "directory.url");
        if (url.isEmpty()) {
            for (String key : List.of("user", "password_file", "pool_size", "timeout")) {
                if (dir != null && dir.contains(key)) throw r.error("directory." + key, "only with directory.url (a PostgreSQL directory)");
            }
            return Optional.empty();
        }
        if (!url.get().matches("postgresql://[^/?#\\s]+/[^/?#\\s]+(\\?[^#\\s]*)?")) {
            throw r.error("directory.url", "'" + url.get() + "' is not postgresql://HOST:PORT/DATABASE (with ?PARAMETERS of the JDBC driver, if any)");
        }
        Duration timeout = r.duration(dir, "directory.timeout").orElse(PostgresDirectory.Settings.DEFAULT_TIMEOUT);
        if (timeout.toMillis() < 250 || timeout.toSeconds() > 60) throw r.error("directory.timeout", "must be between 250ms and 60s");
        return Optional.of(new PostgresDirectory.Settings(url.get(),
                r.string(dir, "directory.user").orElseThrow(() -> r.error("directory.user", "needed with directory.url")),
                r.path(dir, "directory.password_file").map(data::resolve)
                        .orElseThrow(() -> r.error("directory.password_file", "needed with directory.url (a file holding the password)")),
                r.integer(dir, "directory.pool_size", 1, 1000).orElse(PostgresDirectory.Settings.DEFAULT_POOL_SIZE), timeout));
    }

    /** [proxy] auth_http and its key file (relative: under the data directory), or null without auth_http. */
    private static AuthHttpSettings authHttp(ConfigReader r, TomlTable proxy, Path data) {
        Optional<String> listen = r.string(proxy, "proxy.auth_http");
        if (listen.isEmpty()) {
            if (proxy != null && proxy.contains("auth_http_key_file")) throw r.error("proxy.auth_http_key_file", "only with proxy.auth_http");
            return null;
        }
        return new AuthHttpSettings(r.address("proxy.auth_http", listen.get()),
                r.path(proxy, "proxy.auth_http_key_file").map(data::resolve).orElseThrow(() -> r.error("proxy.auth_http_key_file",
                        "needed with proxy.auth_http (a file holding the key nginx sends with auth_http_header)")));
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        Set<String> all = new TreeSet<>();
        for (Set<String> s : sets) {
            all.addAll(s);
        }
        return all;
    }
}
