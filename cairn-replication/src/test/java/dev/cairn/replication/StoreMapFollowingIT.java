// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static dev.cairn.replication.ReplicationIT.message;
import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.rocks.RocksSlotStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes that start with no store and follow a store map at run time (issue 20: the cluster's
 * controller owns the map): each transition a map change asks of a node.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StoreMapFollowingIT {
    @TempDir Path dir;
    private final Map<String, SlotStore> slots = new ConcurrentHashMap<>();
    private final Map<String, Replication> nodes = new ConcurrentHashMap<>();
    /** The config's peers: only what each test puts here before a node starts (setPeer adds the rest). */
    private final Map<String, InetSocketAddress> configured = new ConcurrentHashMap<>();

    private Replication node(String name) throws Exception {
        SlotConfig d = SlotConfig.defaults(dir.resolve(name));
        SlotStore slot = RocksSlotStore.open(new SlotConfig(d.metadataDir(), d.bodiesDir(), false, d.maxMessageSize(), 4, d.quota(),
                new SimpleMeterRegistry(), d.defaultFolders()));
        slots.put(name, slot);
        Replication r = Replication.start(new ReplicationConfig(name, TwoNodes.SECRET, new InetSocketAddress("127.0.0.1", 0), configured,
                List.of(), TwoNodes.fast()), Map.of("s0", slot), new SimpleMeterRegistry());
        nodes.put(name, r);
        return r;
    }

    /** Every node learns every other's address (as the cluster's registry would tell them). */
    private void introduce() {
        for (Replication r : nodes.values()) nodes.forEach((name, other) -> r.setPeer(name, other.address()));
    }

    private static StoreSpec spec(String master, String... replicas) {
        return new StoreSpec("s1", Mode.ASYNC, new SlotRef(master, "s0"), java.util.Arrays.stream(replicas).map(n -> new SlotRef(n, "s0")).toList());
    }

    private Replication.StoreStatus status(String node) { return nodes.get(node).status().getFirst(); }

    private void awaitSeqs(String from, String to, String user) throws Exception {
        eventually(Duration.ofSeconds(20), () -> assertThat(slots.get(to).replication().seq(user)).isEqualTo(slots.get(from).replication().seq(user)));
    }

    @AfterEach void close() {
        nodes.values().forEach(Replication::close);
        slots.values().forEach(SlotStore::close);
    }

    @Test void aStoreNewToTheNodesStartsAsTheMapSaysAndReplicates() throws Exception {
        node("a");
        node("b");
        introduce();
        assertThat(nodes.get("a").status()).isEmpty();
        assertThat(nodes.get("b").follow(spec("a", "b"), 1)).contains("replica here of a/s0");
        assertThat(nodes.get("a").follow(spec("a", "b"), 1)).contains("master here at epoch 1");
        assertThat(status("a").role()).isEqualTo("master");
        assertThat(status("a").epoch()).isEqualTo(1);
        slots.get("a").openOrCreateUser("alice").append("INBOX", List.of(message("one", "1")));
        awaitSeqs("a", "b", "alice");
        assertThatThrownBy(() -> slots.get("b").user("alice").append("INBOX", List.of(message("no", "x"))))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.UNAVAILABLE));
        // Again at the same epoch: nothing changes.
        assertThat(nodes.get("a").follow(spec("a", "b"), 1)).contains("unchanged");
        // A slot this node does not have is refused.
        assertThatThrownBy(() -> nodes.get("a").follow(new StoreSpec("s2", Mode.ASYNC, new SlotRef("a", "s9"), List.of()), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no slot s9");
    }

    /** Issue 20: the cluster's write lease fences a master where data is written (WriteGate). */
    @Test void aCommitWhileTheWriteLeaseHasLapsedIsRefusedUnavailableAndNothingIsWritten() throws Exception {
        node("a");
        node("b");
        introduce();
        java.util.concurrent.atomic.AtomicBoolean lease = new java.util.concurrent.atomic.AtomicBoolean(true);
        nodes.get("a").fenceAcknowledgements(lease::get, Duration.ZERO);
        nodes.get("b").follow(spec("a", "b"), 1);
        nodes.get("a").follow(spec("a", "b"), 1);
        slots.get("a").openOrCreateUser("alice").append("INBOX", List.of(message("one", "1")));
        long seq = slots.get("a").replication().seq("alice");
        lease.set(false);
        assertThatThrownBy(() -> slots.get("a").user("alice").append("INBOX", List.of(message("two", "2"))))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.UNAVAILABLE))
                .hasMessageContaining("write lease lapsed");
        assertThat(slots.get("a").replication().seq("alice")).isEqualTo(seq);
        lease.set(true);
        slots.get("a").user("alice").append("INBOX", List.of(message("three", "3")));
        assertThat(slots.get("a").replication().seq("alice")).isGreaterThan(seq);
    }

    /** A lease that comes back within the hold (the same ZooKeeper session, a leader elected): the commit waits, then goes on. */
    @Test void aCommitWaitsForALeaseThatComesBackWithinTheHoldAndIsAcknowledged() throws Exception {
        node("a");
        node("b");
        introduce();
        java.util.concurrent.atomic.AtomicBoolean lease = new java.util.concurrent.atomic.AtomicBoolean(false);
        nodes.get("a").fenceAcknowledgements(lease::get, Duration.ofSeconds(10));
        nodes.get("b").follow(spec("a", "b"), 1);
        nodes.get("a").follow(spec("a", "b"), 1);
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            lease.set(true);
        });
        long start = System.nanoTime();
        slots.get("a").openOrCreateUser("alice").append("INBOX", List.of(message("one", "1")));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(slots.get("a").replication().seq("alice")).isPositive();
    }

    /** The lease lapses while a commit is under way: written and replicated, but not acknowledged. */
    @Test void aCommitWhoseWriteLeaseLapsedBeforeItsAcknowledgementIsRefused() throws Exception {
        node("a");
        node("b");
        introduce();
        nodes.get("b").follow(spec("a", "b"), 1);
        nodes.get("a").follow(spec("a", "b"), 1);
        slots.get("a").openOrCreateUser("alice").append("INBOX", List.of(message("one", "1")));
        // Asked twice per commit: before it is written (still held), and before it is acknowledged (lapsed).
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        nodes.get("a").fenceAcknowledgements(() -> asked.incrementAndGet() == 1, Duration.ZERO);
        assertThatThrownBy(() -> slots.get("a").user("alice").append("INBOX", List.of(message("two", "2"))))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.UNAVAILABLE))
                .hasMessageContaining("not acknowledged; the change is written here");
        assertThat(asked.get()).isEqualTo(2);
    }

    @Test void theMapNamingTheReplicaMasterPromotesItAtTheMapsEpochAndFencesTheOldOne() throws Exception {
        node("a");
        node("b");
        introduce();
        nodes.get("b").follow(spec("a", "b"), 1);
        nodes.get("a").follow(spec("a", "b"), 1);
        slots.get("a").openOrCreateUser("alice").append("INBOX", List.of(message("one", "1")));
        awaitSeqs("a", "b", "alice");
        eventually(Duration.ofSeconds(20), () -> assertThat(status("b").inSync().get("b")).startsWith("in sync"));
        // The controller raised the epoch to 5 (by compare-and-set) and named b.
        assertThat(nodes.get("b").follow(spec("b", "a"), 5)).contains("now mastered here at epoch 5");
        assertThat(status("b").epoch()).isEqualTo(5);
        assertThat(nodes.get("a").follow(spec("b", "a"), 5)).contains("replica here of b/s0");
        assertThat(slots.get("a").replication().fenceReason()).isNotNull();
        assertThat(status("a").role()).isEqualTo("replica");
        slots.get("b").user("alice").append("INBOX", List.of(message("two", "2")));
        awaitSeqs("b", "a", "alice");
        assertThat(ReplicationIT.subjects(slots.get("a").user("alice"), "INBOX")).containsExactly("one", "two");
        // An older map is refused: the slot's epoch is the fence, not the map.
        assertThatThrownBy(() -> nodes.get("a").follow(spec("a", "b"), 4)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("older");
        assertThat(status("a").role()).isEqualTo("replica");
    }

    @Test void aPromotionAtAnEpochNotAboveTheSlotsIsRefused() throws Exception {
        node("a");
        node("b");
        introduce();
        nodes.get("b").follow(spec("a", "b"), 3);
        nodes.get("a").follow(spec("a", "b"), 3);
        eventually(Duration.ofSeconds(20), () -> assertThat(status("b").inSync().get("b")).startsWith("in sync"));
        assertThatThrownBy(() -> nodes.get("b").promote("s1", 3, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at epoch 3 already");
        assertThat(status("b").role()).isEqualTo("replica");
        // The operator's promote is the next epoch, through the same path.
        assertThat(nodes.get("b").promote("s1", false).epoch()).isEqualTo(4);
    }

    @Test void replicasAddedOrRemovedStartOrStopTheMastersChannels() throws Exception {
        node("a");
        node("b");
        node("c");
        // a knows b only; c's address comes later, from the registry.
        nodes.get("a").setPeer("b", nodes.get("b").address());
        nodes.get("b").follow(spec("a", "b"), 1);
        nodes.get("a").follow(spec("a", "b"), 1);
        slots.get("a").openOrCreateUser("alice").append("INBOX", List.of(message("one", "1")));
        awaitSeqs("a", "b", "alice");
        nodes.get("c").follow(spec("a", "b", "c"), 1);
        assertThatThrownBy(() -> nodes.get("a").follow(spec("a", "b", "c"), 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no address for node c");
        nodes.get("a").setPeer("c", nodes.get("c").address());
        assertThat(nodes.get("a").follow(spec("a", "b", "c"), 1)).contains("replicas [b/s0, c/s0]");
        awaitSeqs("a", "c", "alice");
        eventually(Duration.ofSeconds(20), () -> assertThat(status("a").links()).extracting(Replication.ReplicaStatus::replica)
                .containsExactlyInAnyOrder("b", "c"));
        // b leaves the store: a stops shipping to it.
        nodes.get("a").follow(spec("a", "c"), 1);
        nodes.get("b").follow(spec("a", "c"), 1);
        assertThat(status("a").links()).extracting(Replication.ReplicaStatus::replica).containsExactly("c");
        assertThat(nodes.get("b").status()).isEmpty();
        slots.get("a").user("alice").append("INBOX", List.of(message("two", "2")));
        awaitSeqs("a", "c", "alice");
        assertThat(slots.get("b").replication().seq("alice")).isLessThan(slots.get("a").replication().seq("alice"));
    }

    /** Issue 19's loose end: after a promotion `cairn replica status` showed a lag of ~4.3e9 changes (the seq's jump). */
    @Test void aPromotedMastersLagCountsItsJumpAsOneChange() throws Exception {
        node("a");
        node("b");
        introduce();
        nodes.get("b").follow(spec("a", "b"), 1);
        nodes.get("a").follow(spec("a", "b"), 1);
        slots.get("a").openOrCreateUser("alice").append("INBOX", List.of(message("one", "1")));
        awaitSeqs("a", "b", "alice");
        eventually(Duration.ofSeconds(20), () -> assertThat(status("b").inSync().get("b")).startsWith("in sync"));
        nodes.remove("a").close(); // the master is lost
        nodes.get("b").promote("s1", false);
        slots.get("b").user("alice").append("INBOX", List.of(message("two", "2")));
        long seq = slots.get("b").replication().seq("alice");
        assertThat(seq).as("the promotion's jump").isGreaterThan(1L << 32);
        Replication.ReplicaStatus a = status("b").links().getFirst();
        assertThat(a.connected()).isFalse();
        // Everything alice's log holds that a has not acknowledged on a connection: a few changes, not the seq.
        assertThat(a.lagChanges()).isPositive().isLessThan(10);
        assertThat(status("b").channels().stream().mapToLong(Replication.ChannelStatus::lagChanges).sum()).isLessThan(10);
    }

    /**
     * A replica of the previous protocol (2): it refuses a version-3 Hello; the master connects
     * again saying 2 and replicates, but a switchover to it is refused, saying why.
     */
    @Test void aReplicaOfProtocol2IsReplicatedToButCannotBeSwitchedTo() throws Exception {
        node("a");
        java.util.Set<Integer> versionsSeen = ConcurrentHashMap.newKeySet();
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread old = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        java.net.Socket socket = server.accept();
                        Thread.ofVirtual().start(() -> oldReplica(socket, versionsSeen));
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            nodes.get("a").setPeer("old", new InetSocketAddress("127.0.0.1", server.getLocalPort()));
            nodes.get("a").follow(spec("a", "old"), 1);
            eventually(Duration.ofSeconds(20), () -> assertThat(status("a").channels()).isNotEmpty().allMatch(Replication.ChannelStatus::connected));
            assertThat(versionsSeen).containsExactlyInAnyOrder(3, 2);
            SwitchResult r = nodes.get("a").switchOver("s1", new SlotRef("old", "s0"), Duration.ofSeconds(5));
            assertThat(r.done()).isFalse();
            assertThat(r.why()).contains("speaks replication protocol 2").contains("upgrade it");
            assertThat(status("a").role()).isEqualTo("master");
            slots.get("a").openOrCreateUser("alice").append("INBOX", List.of(message("one", "1")));
            server.close();
            old.join();
        }
    }

    /** A protocol-2 replica's side, enough to be replicated to: refuses version 3, proves the secret, acknowledges every frame. */
    private static void oldReplica(java.net.Socket socket, java.util.Set<Integer> versionsSeen) {
        try (FrameConnection c = new FrameConnection(socket, FrameCodec.DEFAULT_MAX_FRAME)) {
            Frame.Hello h = (Frame.Hello) c.read();
            versionsSeen.add(h.version());
            if (h.version() > 2) {
                c.send(new Frame.Error(Frame.VERSION, 0, "protocol version " + h.version() + " not supported (this node: 1 to 2)"));
                return;
            }
            byte[] nonce = Handshake.nonce();
            c.send(new Frame.Challenge("old", h.epoch(), nonce, Handshake.replicaProof(TwoNodes.SECRET, h.nonce(), nonce, h.store(), h.channel(), h.epoch())));
            c.read(); // Auth
            c.send(new Frame.Positions(h.store(), h.epoch(), List.of()));
            while (true) {
                switch (c.read()) {
                    case Frame.Changes ch -> {
                        java.util.Map<String, Long> last = new java.util.LinkedHashMap<>();
                        for (Frame.Entry e : ch.entries()) last.put(e.user(), e.seq());
                        c.send(new Frame.Ack(h.store(), h.epoch(), last.entrySet().stream().map(e -> new Frame.Applied(e.getKey(), e.getValue())).toList()));
                    }
                    case Frame.Reserve res -> c.send(new Frame.Reserved(res.request()));
                    default -> { }
                }
            }
        } catch (Exception e) {
            // the master closed the connection, or the test ended
        }
    }
}
