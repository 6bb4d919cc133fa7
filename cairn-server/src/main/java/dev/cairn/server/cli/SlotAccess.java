// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.CheckReports;
import dev.cairn.server.Node;
import dev.cairn.server.NodeSlots;
import dev.cairn.server.RunFile;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.CheckReport;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreEngine;
import dev.cairn.store.StoreException;
import dev.cairn.store.routing.Placement;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Files;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Store operations of the CLI. RocksDB lets one process open a slot: when a server runs on the
 * data directory (its run file names a live admin endpoint), the operation runs inside it over
 * admin HTTP; otherwise the CLI opens the slot itself.
 */
final class SlotAccess {
    /** What the operation printed, and whether it left the store as it should be. */
    record Outcome(String text, boolean ok) {}

    private SlotAccess() {}

    static Outcome check(NodeConfig config, String user, boolean repair) throws IOException, InterruptedException {
        String query = "repair=" + repair + (user == null ? "" : "&user=" + URLEncoder.encode(user, StandardCharsets.UTF_8));
        // 200 clean, 409 problems remain; anything else (404: no such user) is the command's error.
        Optional<Outcome> remote = viaServer(config, "/check?" + query, Set.of(200, 409),
                response -> new Outcome(response.body(), response.statusCode() == 200));
        if (remote.isPresent()) {
            return remote.get();
        }
        DataDirectory.requireData(config, config.metadataDir());
        return direct(config, slots -> {
            CheckReport report = slots.store().check(user, repair);
            return new Outcome(CheckReports.format(report, repair), report.clean());
        });
    }

    /** Removes the user's mail from the slot; ok=false when the slot had none. */
    static Outcome deleteUserData(NodeConfig config, String user) throws IOException, InterruptedException {
        Optional<Outcome> remote = viaServer(config, "/delete-user?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8),
                Set.of(200, 404), response -> new Outcome(response.body(), response.statusCode() == 200));
        if (remote.isPresent()) {
            return remote.get();
        }
        if (!Files.isDirectory(config.metadataDir())) {
            return new Outcome("no mail of " + user + " in the store (no store at " + config.metadataDir() + ")\n", false);
        }
        return direct(config, slots -> {
            SlotStore store = slots.store();
            if (!store.hasUser(user)) {
                return new Outcome("no mail of " + user + " in the store\n", false);
            }
            store.deleteUser(user);
            return new Outcome("deleted the mail of " + user + "\n", true);
        });
    }

    /**
     * `cairn store takeover`: a fenced slot (role REPLICA) becomes a master of its own, with no node
     * running on it: a new epoch, the promotion's jump past reservations, a new UIDVALIDITY for every
     * mailbox. Refused while a node runs on the data directory (that one promotes with --force).
     */
    static Outcome takeover(NodeConfig config, String storeName) throws IOException, InterruptedException {
        Optional<RunFile> run = RunFile.read(config.runFile());
        if (run.isPresent() && run.get().processAlive()) {
            throw new IllegalStateException("a node (pid " + run.get().pid() + ") runs on " + config.data() + ": takeover is for a slot "
                    + "no node serves; a running replica is promoted with `cairn store promote " + storeName + " --to NODE/SLOT --force`");
        }
        DataDirectory.requireData(config, config.metadataDir());
        return direct(config, slots -> {
            SlotStore store = slotOfStore(slots, storeName);
            var r = store.replication();
            if (r.role() != dev.cairn.store.replication.Role.REPLICA) {
                return new Outcome("this slot is not fenced (" + (r.role() == null ? "never part of a store" : "a master") + "): nothing to take over\n", false);
            }
            if (r.roleStore() != null && !r.roleStore().equals(storeName)) {
                throw new IllegalArgumentException("this slot is fenced as a replica of store " + r.roleStore() + ", not " + storeName);
            }
            long epoch = r.epoch() + 1;
            // Past the reservations and the degraded window the store's master may have used meanwhile.
            r.promote(epoch, config.replication() != null ? config.replication().config().tuning().degradedUidWindow()
                    : dev.cairn.replication.ReplicationConfig.Tuning.DEFAULT_DEGRADED_UID_WINDOW);
            var renewed = r.renewUidValidities(epoch);
            r.recordSyncState(null);
            StringBuilder b = new StringBuilder("took the slot over from store " + storeName + " at epoch " + epoch + ": it is a master of its own; "
                    + renewed.size() + " mailbox(es) get a new UIDVALIDITY (clients resync them)\n");
            for (var n : renewed) {
                b.append(n.user()).append(' ').append(n.mailbox()).append(": new UIDVALIDITY ").append(n.after()).append(" (was ")
                        .append(n.before()).append(")\n");
            }
            return new Outcome(b.toString(), true);
        });
    }

    /**
     * The answer of the running node, or empty when none runs on the data directory. A status
     * outside {@code answers} is an error whose first body line is the message.
     */
    private static Optional<Outcome> viaServer(NodeConfig config, String pathAndQuery, Set<Integer> answers,
                                               Function<HttpResponse<String>, Outcome> answer)
            throws IOException, InterruptedException {
        Optional<RunFile> run = RunFile.read(config.runFile());
        if (run.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(answer.apply(AdminClient.send(run.get(), "POST", pathAndQuery, Duration.ofHours(12), answers)));
        } catch (ConnectException e) {
            if (run.get().processAlive()) {
                throw new IllegalStateException("a server (pid " + run.get().pid() + ") runs on " + config.data()
                        + " but its admin endpoint " + run.get().admin() + " does not answer");
            }
            return Optional.empty(); // a run file left by a server that died: open the slot here.
        }
    }

    /** The node's slot of the store ([replication], or the store its fence names); a node of one slot: that slot. */
    private static SlotStore slotOfStore(NodeSlots slots, String storeName) {
        if (slots.size() == 1) return slots.store();
        for (var e : slots.byName().entrySet()) {
            if (storeName.equals(slots.storeOf(e.getKey())) || storeName.equals(e.getValue().replication().roleStore())) return e.getValue();
        }
        throw new IllegalArgumentException("no slot of this node is in store " + storeName + " (slots " + slots.byName().keySet() + ")");
    }

    /** Opens the node's slots (all of them, as the node does) for the work, and closes them. */
    private static Outcome direct(NodeConfig config, Function<NodeSlots, Outcome> work) {
        try (StoreEngine engine = Node.standaloneStoreEngine()) {
            NodeSlots slots;
            try {
                slots = NodeSlots.open(config, engine, QuotaPolicy.UNLIMITED, new SimpleMeterRegistry(), Placement.NODE);
            } catch (StoreException e) {
                Optional<Long> holder = DataDirectory.lockHolder(config.metadataDir().resolve("LOCK"));
                throw new IllegalStateException("cannot open the slot at " + config.metadataDir() + ": "
                        + holder.map(pid -> "it is in use by pid " + pid + " (a node without admin endpoint?)").orElse(e.getMessage()), e);
            }
            try (SlotStore store = slots.store()) {
                return work.apply(slots);
            }
        }
    }
}
