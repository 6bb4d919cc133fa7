// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.replication.ReplicationConfig.Tuning;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.rocks.RocksSlotStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/** Two nodes in one JVM: "a" masters store "s1" (slot "s0"), "b" holds its replica; real TCP on loopback. */
final class TwoNodes implements AutoCloseable {
    static final byte[] SECRET = "test cluster secret".getBytes(StandardCharsets.UTF_8);

    final Path dir;
    final Mode mode;
    final Tuning tuning;
    final Map<String, InetSocketAddress> peers = new ConcurrentHashMap<>();
    final Map<String, SlotStore> slots = new ConcurrentHashMap<>();
    final Map<String, Replication> nodes = new ConcurrentHashMap<>();
    final Map<String, Integer> ports = new ConcurrentHashMap<>();

    final boolean syncWal;

    TwoNodes(Path dir, Mode mode, Tuning tuning) throws IOException {
        this(dir, mode, tuning, false);
    }

    final List<String> names;

    TwoNodes(Path dir, Mode mode, Tuning tuning, boolean syncWal) throws IOException {
        this(dir, mode, tuning, syncWal, List.of("a", "b"));
    }

    /** The first node masters the store, the others hold replicas (started replicas first). */
    TwoNodes(Path dir, Mode mode, Tuning tuning, boolean syncWal, List<String> names) throws IOException {
        this(dir, mode, tuning, syncWal, names, Map.of());
    }

    /** Each node's replication TLS context (a node not in the map speaks plain TCP). */
    final Map<String, SSLContext> tls = new ConcurrentHashMap<>();

    TwoNodes(Path dir, Mode mode, Tuning tuning, boolean syncWal, List<String> names, Map<String, SSLContext> tls) throws IOException {
        this(dir, mode, tuning, syncWal, names, tls, ReplicationConfig.OnReplicaLoss.DEGRADE);
    }

    /** What the store's master does without a replica. */
    final ReplicationConfig.OnReplicaLoss onReplicaLoss;

    TwoNodes(Path dir, Mode mode, ReplicationConfig.OnReplicaLoss onReplicaLoss, Tuning tuning) throws IOException {
        this(dir, mode, tuning, false, List.of("a", "b"), Map.of(), onReplicaLoss);
    }

    TwoNodes(Path dir, Mode mode, Tuning tuning, boolean syncWal, List<String> names, Map<String, SSLContext> tls,
             ReplicationConfig.OnReplicaLoss onReplicaLoss) throws IOException {
        this.onReplicaLoss = onReplicaLoss;
        this.tls.putAll(tls);
        this.syncWal = syncWal;
        this.dir = dir;
        this.mode = mode;
        this.tuning = tuning;
        this.names = names;
        for (String n : names.reversed()) openSlot(n);
        for (String n : names.reversed()) start(n);
    }

    static Tuning fast() {
        return new Tuning(Duration.ofMillis(500), 1000, 10_000, FrameCodec.DEFAULT_MAX_FRAME, 500, Duration.ofMillis(50),
                Duration.ofSeconds(10)).withReconnect(Duration.ofMillis(50), Duration.ofMillis(500));
    }

    void openSlot(String node) {
        SlotConfig d = SlotConfig.defaults(dir.resolve(node));
        slots.put(node, RocksSlotStore.open(new SlotConfig(d.metadataDir(), d.bodiesDir(), syncWal, d.maxMessageSize(),
                4, d.quota(), new SimpleMeterRegistry(), d.defaultFolders())));
    }

    ReplicationConfig config(String node) {
        int port = ports.getOrDefault(node, 0);
        StoreSpec s = new StoreSpec("s1", mode, new SlotRef(names.getFirst(), "s0"),
                names.subList(1, names.size()).stream().map(n -> new SlotRef(n, "s0")).toList(), onReplicaLoss);
        return new ReplicationConfig(node, SECRET, new InetSocketAddress("127.0.0.1", port), peers, List.of(s), tuning, tls.get(node));
    }

    Replication start(String node) throws IOException {
        Replication r;
        for (int attempt = 0; ; attempt++) {
            try {
                r = Replication.start(config(node), Map.of("s0", slots.get(node)), new SimpleMeterRegistry());
                break;
            } catch (java.net.BindException e) {
                // The port it had may be briefly taken by another socket's ephemeral end.
                if (attempt == 50) throw e;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    throw new IOException(ie);
                }
            }
        }
        ports.put(node, r.address().getPort());
        peers.put(node, r.address());
        nodes.put(node, r);
        return r;
    }

    void stop(String node) {
        Replication r = nodes.remove(node);
        if (r != null) r.close();
    }

    SlotStore slot(String node) { return slots.get(node); }

    UserStore user(String node, String user) { return slots.get(node).openOrCreateUser(user); }

    /** Waits until every channel of the master to every replica is connected (a TLS handshake takes a moment). */
    void awaitConnected(String master) throws Exception {
        eventually(Duration.ofSeconds(20), () -> assertThat(nodes.get(master).status().getFirst().channels())
                .as("channels of " + master + " connected").isNotEmpty().allMatch(Replication.ChannelStatus::connected));
    }

    /** Waits until the replica's master has told it that it is in sync (a plain promotion needs it). */
    void awaitInSync(String replica) throws Exception {
        eventually(Duration.ofSeconds(20), () -> assertThat(nodes.get(replica).status().getFirst().inSync().get(replica))
                .as(replica + " told it is in sync").startsWith("in sync"));
    }

    /** Waits until the replica has every change the master has for these users. */
    void awaitCaughtUp(String master, String replica, String... users) throws Exception {
        awaitCaughtUp(master, replica, Duration.ofSeconds(20), users);
    }

    void awaitCaughtUp(String master, String replica, Duration limit, String... users) throws Exception {
        eventually(limit, () -> {
            for (String u : users) {
                // A user the master deleted has seq 0 there, as one the replica never heard of: caught
                // up means the replica has let go of it too.
                long seq = slot(master).replication().seq(u);
                assertThat(slot(replica).replication().seq(u)).as(u + ": the replica's seq").isEqualTo(seq);
                if (slot(replica).hasUser(u)) {
                    assertThat(slot(replica).user(u).highestModSeq()).as(u + ": the replica's highest MODSEQ").isEqualTo(seq);
                    assertThat(slot(master).hasUser(u)).as(u + " on the master").isTrue();
                }
            }
        });
    }

    /** Everything IMAP can see of the user, as text: equal on both nodes when they converged. */
    static String describe(SlotStore slot, String user) {
        if (!slot.hasUser(user)) return "(no user)";
        UserStore u = slot.user(user);
        StringBuilder b = new StringBuilder();
        b.append("subscriptions ").append(new java.util.TreeSet<>(u.subscriptions())).append('\n');
        b.append("highestmodseq ").append(u.highestModSeq()).append('\n');
        for (MailboxInfo m : u.mailboxes()) {
            b.append(m.name()).append(" id=").append(m.id()).append(" uidvalidity=").append(m.uidValidity())
                    .append(" uidnext=").append(m.uidNext())
                    .append(" highestmodseq=").append(m.highestModSeq()).append(" messages=").append(m.messages())
                    .append(" unseen=").append(m.unseen()).append(" deleted=").append(m.deleted()).append(" size=").append(m.size())
                    .append(" special=").append(new java.util.TreeSet<>(m.specialUse())).append(" acl=").append(u.acl(m.name())).append('\n');
            List<Uid> uids = new ArrayList<>();
            for (long i = 1; i < m.uidNext(); i++) uids.add(Uid.of(i));
            for (MessageRecord r : u.messages(m.id(), uids)) {
                b.append("  ").append(r.uid()).append(" modseq=").append(r.modSeq()).append(" flags=").append(r.flags())
                        .append(" size=").append(r.size()).append(" internal=").append(r.internalDate())
                        .append(" thread=").append(r.threadId()).append(" sha=").append(hash(u, r)).append('\n');
            }
            b.append("  vanished ").append(u.expungedSince(m.id(), 0)).append('\n');
        }
        return b.toString();
    }

    private static String hash(UserStore u, MessageRecord r) {
        try (InputStream in = u.openBody(r.body())) {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes())).substring(0, 16);
        } catch (Exception e) {
            return "unreadable: " + e;
        }
    }

    void assertConvergedOn(String master, String replica, String user) {
        assertThat(describe(slot(replica), user)).isEqualTo(describe(slot(master), user));
    }

    void assertConverged(String user) {
        assertThat(describe(slot("b"), user)).isEqualTo(describe(slot("a"), user));
    }

    static Map<String, String> byName(List<MailboxInfo> ms) {
        Map<String, String> m = new TreeMap<>();
        for (MailboxInfo i : ms) m.put(i.name(), i.id().value());
        return m;
    }

    @Override public void close() {
        for (String n : List.copyOf(nodes.keySet())) stop(n);
        for (SlotStore s : slots.values()) s.close();
    }
}
