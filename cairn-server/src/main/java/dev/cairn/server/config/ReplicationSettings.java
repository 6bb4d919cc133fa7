// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.replication.ReplicationConfig;
import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.replication.ReplicationConfig.OnReplicaLoss;
import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.replication.ReplicationConfig.Tuning;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;
import org.tomlj.TomlArray;
import org.tomlj.TomlTable;

/**
 * The [replication] section: this node's name, its slot's name, the replication listener, the
 * cluster secret, every node's replication address, and every store with its master and replica
 * slots (static membership; promotion is an operator command).
 *
 * <pre>
 * [replication]
 * node = "n1"                    # this node
 * slot = "s0"                    # the name of this node's one slot; a node of several names them in
 *                                # [store] slots (then this key is refused), each in its own store below
 * listen = "127.0.0.1:7101"
 * secret_file = "cluster.secret" # or secret = "..." (at least 16 characters)
 * sync_timeout = "2s"            # sync mode falls back to async after this
 * uid_block = 1000               # UIDs reserved ahead per mailbox
 * modseq_block = 10000           # MODSEQs reserved ahead per user
 * degraded_uid_window = 262144   # UIDs per mailbox a master without a replica may hand out past the
 *                                # replicas' reservations before the mailbox gets a new UIDVALIDITY;
 *                                # a promoted replica jumps past its reservation by as many: the
 *                                # same on every node
 *
 * handshake_timeout = "10s"      # from accept to a peer's proof of the secret (TLS included)
 * max_handshakes = 128           # connections at once that have not proven it yet
 * reconnect_delay = "200ms"      # a channel's first wait before it connects to a replica again,
 * reconnect_max = "5s"           # doubling (with jitter) up to this while the replica stays away
 * resync_chunk = "1M"            # a whole-user copy's part of records, and its frames of bodies (1K to 16M)
 *
 * tls = true                     # replication connections over TLS 1.3, both ends verified
 * certificate = "tls/n1.pem"     # this node's certificate chain (default: [tls] certificate)
 * key = "tls/n1-key.pem"         # its PKCS#8 key (default: [tls] key)
 * trust = "tls/ca.pem"           # the peers' CA or their own certificates (required with tls)
 *                                # (`cairn tls ca` and `cairn tls node` make all three)
 * # `cairn reload` reads secret_file, certificate, key and trust again (their names stay)
 * # Without tls = true every peer must be on loopback, unless both of these say otherwise:
 * # tls = false
 * # insecure = true              # mail crosses the network in clear; only on a network you trust
 *
 * [replication.peers]            # every node's replication address, this one's too
 * n1 = "127.0.0.1:7101"
 * n2 = "127.0.0.1:7102"
 *
 * [[replication.stores]]
 * name = "s1"
 * mode = "sync"                  # or "async"
 * master = "n1/s0"
 * replicas = ["n2/s0"]
 * on_replica_loss = "degrade"    # no replica reachable: go on alone (degraded), or "refuse" writes
 *                                # (451 4.3.0 / NO [UNAVAILABLE]) until one is back; sync mode +
 *                                # refuse: a 250/OK always means on two disks
 * </pre>
 */
public record ReplicationSettings(ReplicationConfig config, String slot, KeyFiles keyFiles, boolean insecure) {
    /**
     * Whether replication may go to {@code peer} unencrypted: TLS is off and the operator said
     * {@code insecure = true}, or the peer is on loopback. A cluster node asks it of every peer a
     * registration names (with TLS on, every peer is verified against {@code trust} instead).
     */
    public boolean mayReachInClear(InetSocketAddress peer) {
        return insecure || peer.getAddress() != null && peer.getAddress().isLoopbackAddress();
    }

    private static final Set<String> KEYS = Set.of("node", "slot", "listen", "secret", "secret_file", "sync_timeout",
            "uid_block", "modseq_block", "degraded_uid_window", "handshake_timeout", "max_handshakes", "peers", "stores", "tls", "certificate",
            "key", "trust", "insecure",
            "reconnect_delay", "reconnect_max", "resync_chunk");
    private static final Set<String> STORE_KEYS = Set.of("name", "mode", "master", "replicas", "on_replica_loss");

    /**
     * Where the cluster secret and the TLS material come from: read at start, and again by
     * {@code cairn reload} (the files' contents may change while the node runs; their names and
     * whether TLS is on are what the node started with).
     *
     * @param secretFile   null: the secret is written in the config ({@code inlineSecret}), and stays
     * @param certificate  null (and key, trust): TLS is off
     */
    public record KeyFiles(String source, Path secretFile, byte[] inlineSecret, Path certificate, Path key, Path trust) {
        /** The secret as the file (or the config) has it now. */
        public byte[] secret() {
            byte[] secret;
            if (secretFile == null) {
                secret = inlineSecret.clone();
            } else {
                try {
                    secret = Files.readString(secretFile).strip().getBytes(StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw error(source, "replication.secret_file", "cannot read " + secretFile + ": " + e.getMessage());
                }
            }
            if (secret.length < 16) throw error(source, secretFile == null ? "replication.secret" : "replication.secret_file",
                    "the cluster secret must have at least 16 characters" + (secretFile == null ? "" : " (" + secretFile + ")"));
            return secret;
        }

        /** Null when TLS is off; else the context that presents this node's certificate and trusts the peers', from the files as they are now. */
        public SSLContext tls() {
            if (certificate == null) return null;
            for (Path f : List.of(certificate, key, trust)) {
                if (!Files.isRegularFile(f)) throw error(source, "replication.tls", "no such file: " + f);
            }
            try {
                List<X509Certificate> trusted = TlsContexts.readCertificates(trust);
                if (trusted.isEmpty()) throw error(source, "replication.trust", "no PEM certificate in " + trust);
                return TlsContexts.mutualFromPem(certificate, key, trusted);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                if (e instanceof ConfigException c) throw c;
                throw error(source, "replication.tls", "cannot load the certificate, key or trust: " + firstLine(e));
            }
        }
    }

    /**
     * @param nodeTls the node's [tls] certificate and key (relative to {@code data}): the
     *                replication certificate unless the section names its own
     * @param cluster whether the config has [cluster] too: then the peers' addresses come from the
     *                nodes' registrations, and [replication.peers] is optional
     */
    static ReplicationSettings parse(TomlTable t, String source, Path data, TlsConfig nodeTls, boolean cluster) {
        for (String k : new TreeSet<>(t.keySet())) {
            if (!KEYS.contains(k)) throw error(source, "replication." + k, "unknown key (known here: " + String.join(", ", new TreeSet<>(KEYS)) + ")");
        }
        String node = string(t, source, "node", null);
        String slot = string(t, source, "slot", "s0");
        ListenAddress listen = address(source, "replication.listen", string(t, source, "listen", "127.0.0.1:7101"));
        KeyFiles files = keyFiles(t, source, data, nodeTls);
        byte[] secret = files.secret();
        Tuning d = Tuning.defaults();
        Duration syncTimeout = d.syncTimeout();
        if (t.contains("sync_timeout")) {
            try {
                syncTimeout = Sizes.parseDuration(string(t, source, "sync_timeout", null));
            } catch (ConfigException e) {
                throw error(source, "replication.sync_timeout", e.getMessage());
            }
        }
        long uidBlock = t.contains("uid_block") ? number(t, source, "uid_block") : d.uidBlock();
        long modSeqBlock = t.contains("modseq_block") ? number(t, source, "modseq_block") : d.modSeqBlock();
        Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
        TomlTable p = table(t.get(List.of("peers")), source, "replication.peers");
        if (p != null) {
            for (String k : p.keySet()) {
                if (!(p.get(List.of(k)) instanceof String s)) throw error(source, "replication.peers." + k, "must be a string, host:port");
                ListenAddress a = address(source, "replication.peers." + k, s);
                peers.put(k, new InetSocketAddress(a.host(), a.port()));
            }
        }
        if (!cluster && !peers.containsKey(node)) throw error(source, "replication.peers", "must name this node (" + node + ") too");
        List<StoreSpec> stores = new ArrayList<>();
        Object storesValue = t.get(List.of("stores"));
        if (storesValue != null && !(storesValue instanceof TomlArray)) throw error(source, "replication.stores", "must be a list of tables ([[replication.stores]])");
        TomlArray arr = (TomlArray) storesValue;
        if (arr != null) {
            for (int i = 0; i < arr.size(); i++) {
                TomlTable s = table(arr.get(i), source, "replication.stores");
                for (String k : new TreeSet<>(s.keySet())) {
                    if (!STORE_KEYS.contains(k)) throw error(source, "replication.stores." + k, "unknown key");
                }
                String name = string(s, source, "name", null);
                Mode mode = switch (string(s, source, "mode", "sync").toLowerCase(Locale.ROOT)) {
                    case "sync" -> Mode.SYNC;
                    case "async" -> Mode.ASYNC;
                    default -> throw error(source, "replication.stores.mode", "must be sync or async");
                };
                OnReplicaLoss onLoss = switch (string(s, source, "on_replica_loss", "degrade").toLowerCase(Locale.ROOT)) {
                    case "degrade" -> OnReplicaLoss.DEGRADE;
                    case "refuse" -> OnReplicaLoss.REFUSE;
                    default -> throw error(source, "replication.stores.on_replica_loss", "must be degrade or refuse");
                };
                SlotRef master = slotRef(source, string(s, source, "master", null), peers);
                List<SlotRef> replicas = new ArrayList<>();
                Object r = s.get(List.of("replicas"));
                if (r != null && !(r instanceof TomlArray)) throw error(source, "replication.stores.replicas", "must be a list of node/slot strings");
                if (r != null) {
                    for (Object replica : ((TomlArray) r).toList()) {
                        if (!(replica instanceof String ref)) throw error(source, "replication.stores.replicas", "must be a list of node/slot strings");
                        replicas.add(slotRef(source, ref, peers));
                    }
                }
                stores.add(new StoreSpec(name, mode, master, replicas, onLoss));
            }
        }
        Duration handshakeTimeout = t.contains("handshake_timeout") ? Sizes.parseDuration(string(t, source, "handshake_timeout", null)) : d.handshakeTimeout();
        if (handshakeTimeout.isZero()) throw error(source, "replication.handshake_timeout", "must be more than 0");
        long maxHandshakes = t.contains("max_handshakes") ? number(t, source, "max_handshakes") : d.maxHandshakes();
        if (maxHandshakes > 1_000_000) throw error(source, "replication.max_handshakes", "must be at most 1000000");
        Duration reconnectDelay = t.contains("reconnect_delay") ? Sizes.parseDuration(string(t, source, "reconnect_delay", null)) : d.reconnectDelay();
        Duration reconnectMax = t.contains("reconnect_max") ? Sizes.parseDuration(string(t, source, "reconnect_max", null)) : d.reconnectMax();
        if (reconnectDelay.isZero()) throw error(source, "replication.reconnect_delay", "must be more than 0");
        if (reconnectMax.compareTo(reconnectDelay) < 0) throw error(source, "replication.reconnect_max", "must be at least reconnect_delay (" + reconnectDelay + ")");
        long window = t.contains("degraded_uid_window") ? number(t, source, "degraded_uid_window") : d.degradedUidWindow();
        if (window > Integer.MAX_VALUE) throw error(source, "replication.degraded_uid_window", "must be at most " + Integer.MAX_VALUE);
        Tuning tuning = new Tuning(syncTimeout, uidBlock, modSeqBlock, d.maxFrame(), d.batchRecords(), reconnectDelay, d.replyTimeout(),
                handshakeTimeout, (int) maxHandshakes, reconnectMax, window);
        if (t.contains("resync_chunk")) {
            long chunk;
            try {
                chunk = t.get(List.of("resync_chunk")) instanceof String s ? Sizes.parseBytes(s) : number(t, source, "resync_chunk");
            } catch (ConfigException e) {
                throw error(source, "replication.resync_chunk", e.getMessage());
            }
            if (chunk < 1024 || chunk > Tuning.MAX_RESYNC_CHUNK) throw error(source, "replication.resync_chunk", "must be from 1K to 16M");
            tuning = tuning.withResyncChunk((int) chunk);
        }
        ReplicationConfig config = new ReplicationConfig(node, secret, new InetSocketAddress(listen.host(), listen.port()),
                peers, stores, tuning, files.tls());
        requireEncryptionOffLoopback(t, source, config);
        return new ReplicationSettings(config, slot, files, Boolean.TRUE.equals(t.get(List.of("insecure"))));
    }

    /**
     * Replication carries users' mail: a peer off loopback gets it encrypted, unless the operator
     * said both {@code tls = false} and {@code insecure = true} (a network they trust anyway).
     */
    private static void requireEncryptionOffLoopback(TomlTable t, String source, ReplicationConfig config) {
        Object insecure = t.get(List.of("insecure"));
        if (insecure != null && !(insecure instanceof Boolean)) throw error(source, "replication.insecure", "must be true or false");
        boolean tlsOff = Boolean.FALSE.equals(t.get(List.of("tls")));
        if (Boolean.TRUE.equals(insecure) && !tlsOff) {
            throw error(source, "replication.insecure", "only with tls = false (it acknowledges that replication is not encrypted)");
        }
        List<String> off = config.peersOffLoopback();
        if (config.tls() != null || off.isEmpty() || tlsOff && Boolean.TRUE.equals(insecure)) return;
        String peer = off.getFirst();
        InetSocketAddress at = config.peers().get(peer);
        throw error(source, "replication.tls", "peer " + peer + " (" + at.getHostString() + ":" + at.getPort() + ")"
                + (off.size() > 1 ? " and " + (off.size() - 1) + " more are" : " is") + " not on loopback, so replication must be encrypted: make certificates with `cairn tls ca --out ca` and `cairn tls node "
                + config.node() + " --ca ca --out tls`, then set tls = true with the certificate, key and trust it prints"
                + " (or, on a network you trust, tls = false and insecure = true)");
    }

    /** Where the secret comes from, and (with {@code tls = true}) the certificate, key and trust files. */
    private static KeyFiles keyFiles(TomlTable t, String source, Path data, TlsConfig nodeTls) {
        Path secretFile = t.contains("secret_file") ? data.resolve(string(t, source, "secret_file", null)) : null;
        byte[] inline = secretFile != null ? null : string(t, source, "secret", null).getBytes(StandardCharsets.UTF_8);
        Object on = t.get(List.of("tls"));
        if (on != null && !(on instanceof Boolean)) throw error(source, "replication.tls", "must be true or false");
        if (!Boolean.TRUE.equals(on)) {
            for (String k : List.of("certificate", "key", "trust")) {
                if (t.contains(k)) throw error(source, "replication." + k, "only with tls = true");
            }
            return new KeyFiles(source, secretFile, inline, null, null, null);
        }
        if (!t.contains("trust")) {
            throw error(source, "replication.trust", "is required with tls = true (the peers' CA certificate, or their own certificates, PEM)");
        }
        Path certificate = data.resolve(t.contains("certificate") ? Path.of(string(t, source, "certificate", null)) : nodeTls.certificate());
        Path key = data.resolve(t.contains("key") ? Path.of(string(t, source, "key", null)) : nodeTls.key());
        Path trust = data.resolve(string(t, source, "trust", null));
        return new KeyFiles(source, secretFile, inline, certificate, key, trust);
    }

    /** The exception's message on one line (a config error is one line). */
    private static String firstLine(Exception e) {
        return e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString());
    }

    /** A table, or null when absent; anything else names the key. */
    private static TomlTable table(Object v, String source, String key) {
        if (v != null && !(v instanceof TomlTable)) throw error(source, key, "must be a table");
        return (TomlTable) v;
    }

    private static ListenAddress address(String source, String key, String text) {
        try {
            return ListenAddress.parse(text);
        } catch (ConfigException e) {
            throw error(source, key, e.getMessage());
        }
    }

    private static SlotRef slotRef(String source, String s, Map<String, InetSocketAddress> peers) {
        SlotRef r;
        try {
            r = SlotRef.parse(s);
        } catch (IllegalArgumentException e) {
            throw error(source, "replication.stores", e.getMessage());
        }
        if (!peers.containsKey(r.node())) throw error(source, "replication.stores", "node " + r.node() + " is not in [replication.peers]");
        return r;
    }

    private static String string(TomlTable t, String source, String key, String def) {
        Object v = t.get(List.of(key));
        if (v == null) {
            if (def == null) throw error(source, "replication." + key, "is required");
            return def;
        }
        if (!(v instanceof String s) || s.isBlank()) throw error(source, "replication." + key, "must be a non-empty string");
        return s;
    }

    private static long number(TomlTable t, String source, String key) {
        Object v = t.get(List.of(key));
        if (!(v instanceof Long n) || n < 1) throw error(source, "replication." + key, "must be a positive number");
        return n;
    }

    private static ConfigException error(String source, String key, String what) {
        return new ConfigException(source + ": " + key + ": " + what);
    }
}
