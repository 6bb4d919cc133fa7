// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.demo;

import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreCreation;
import dev.cairn.cluster.StoreRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What the demo cluster is made of: three nodes of two slots each ({@code a}, {@code b}), three
 * stores placed crosswise so that every node masters one store and replicates another (a dead
 * node's store moves to the next node, and no node holds two masters after one death), one sample
 * user per store, and each node's config file.
 */
final class DemoLayout {
    private DemoLayout() {}

    static final List<String> NODES = List.of("n1", "n2", "n3");
    static final List<String> SLOTS = List.of("a", "b");
    /** The demo's session timeout: ZooKeeper's ticks of 250 ms allow up to 5 s. */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    /** Shorter than the session (Curator warns otherwise). */
    static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(3);
    static final String DOMAIN = "example.org";

    /** A store: its master slot a on one node, its replica slot b on the next; its sample user. */
    record Store(String name, String masterNode, String replicaNode, String user) {
        SlotRef master() { return new SlotRef(masterNode, "a"); }

        SlotRef replica() { return new SlotRef(replicaNode, "b"); }

        StoreRecord record(long now) {
            return StoreCreation.record(name, StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, master(), List.of(replica()), now);
        }
    }

    static final List<Store> STORES = List.of(
            new Store("s1", "n1", "n2", "alice"),
            new Store("s2", "n2", "n3", "bob"),
            new Store("s3", "n3", "n1", "carol"));

    /** The sample messages every user gets, by subject. */
    static final List<String> SUBJECTS = List.of("Welcome to the Cairn cluster demo", "Where your mail lives", "Try a failover");

    static String body(String subject, Store store) {
        return switch (subject) {
            case "Welcome to the Cairn cluster demo" -> "This message was delivered over LMTP to node " + store.masterNode()
                    + ", the master of store " + store.name() + ", and replicated to " + store.replicaNode() + " before it was acknowledged.";
            case "Where your mail lives" -> "Store " + store.name() + ": master " + store.master() + ", replica " + store.replica()
                    + " (mode sync). The store map is in ZooKeeper; every node follows it.";
            default -> "Kill " + store.masterNode() + " with kill -9: within the session timeout its replica " + store.replicaNode()
                    + " becomes master of " + store.name() + " and you log in there with the same password, and this message is there.";
        };
    }

    /** Node {@code node}'s config: every listener on loopback and a port the system picks, the cluster on {@code zookeeper}. */
    static String config(Path dir, String node, String zookeeper) {
        Path data = dir.resolve(node).toAbsolutePath();
        StringBuilder t = new StringBuilder();
        t.append("# written by cairn cluster demo\n");
        t.append("data = \"").append(toml(data)).append("\"\n\n");
        t.append("[store]\nslots = [\"a\", \"b\"]\n\n");
        for (String listener : List.of("imap", "pop3", "lmtp", "admin")) {
            t.append('[').append(listener).append("]\nlisten = \"127.0.0.1:0\"\n\n");
        }
        // three nodes on one machine; 192M (the least a node takes) left a 64 MB heap with no room under load
        t.append("[memory]\ntotal = \"256M\"\n\n");
        t.append("[replication]\nnode = \"").append(node).append("\"\nlisten = \"127.0.0.1:0\"\nsecret_file = \"")
                .append(toml(dir.resolve("cluster.secret").toAbsolutePath())).append("\"\n\n");
        t.append("[cluster]\nzookeeper = \"").append(zookeeper).append("\"\nsession_timeout = \"").append(SESSION_TIMEOUT.toSeconds())
                .append("s\"\nconnection_timeout = \"").append(CONNECTION_TIMEOUT.toSeconds()).append("s\"\n# the host other nodes and proxies reach this node's listeners at\nadvertise = \"127.0.0.1\"\n");
        return t.toString();
    }

    /** Writes the cluster secret (owner only) and every node's config; returns the configs by node. */
    static java.util.Map<String, Path> write(Path dir, String zookeeper) throws IOException {
        Path secret = dir.resolve("cluster.secret");
        Files.createFile(secret, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(secret, dev.cairn.server.RunFile.newToken() + "\n");
        java.util.Map<String, Path> configs = new java.util.LinkedHashMap<>();
        for (String node : NODES) {
            Path config = dir.resolve(node + ".toml");
            Files.writeString(config, config(dir, node, zookeeper));
            configs.put(node, config);
        }
        return configs;
    }

    private static String toml(Path p) {
        return p.toString().replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
