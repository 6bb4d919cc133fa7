// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.cluster.ClusterAdmin;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreCreation;
import dev.cairn.cluster.StorePlacement;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.server.config.NodeConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** `cairn store list` and `cairn store place`: the cluster's store map ([cluster]), read and planned. */
final class StoreMapCommands {
    private StoreMapCommands() {}

    @Command(name = "list", header = "List the cluster's stores: master, replicas, mode, epoch, in-sync set (a node's config with [cluster]).")
    static final class ListStores implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (config.cluster() == null) throw new IllegalStateException("this node's config has no [cluster]");
            PrintWriter out = spec.commandLine().getOut();
            try (ClusterAdmin cluster = ClusterAdmin.open(config.cluster())) {
                Map<String, StoreRecord> stores = cluster.stores((name, e) -> out.println("store " + name + ": record refused: " + e.getMessage()));
                Map<String, NodeRecord> nodes = cluster.nodes();
                Set<String> drained = cluster.drained();
                out.print(table(stores, nodes, drained));
            }
            out.flush();
            return 0;
        }

        /** One line per store; a master whose node is not registered or is drained is marked. */
        static String table(Map<String, StoreRecord> stores, Map<String, NodeRecord> nodes, Set<String> drained) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"STORE", "MASTER", "REPLICAS", "MODE", "EPOCH", "IN-SYNC"});
            for (StoreRecord r : stores.values()) {
                String master = r.master().toString() + (!nodes.containsKey(r.master().node()) ? " (node gone)"
                        : drained.contains(r.master().node()) ? " (drained)" : "");
                rows.add(new String[] {r.name(), master, join(r.replicas()), r.mode().name().toLowerCase(java.util.Locale.ROOT)
                        + (r.onReplicaLoss() == StoreRecord.OnReplicaLoss.REFUSE ? ",refuse" : ""), Long.toString(r.epoch()),
                        r.inSync().isEmpty() ? "-" : join(r.replicas().stream().filter(r.inSync()::contains).toList())});
            }
            int[] width = new int[6];
            for (String[] row : rows) for (int i = 0; i < 6; i++) width[i] = Math.max(width[i], row[i].length());
            StringBuilder b = new StringBuilder();
            for (String[] row : rows) {
                for (int i = 0; i < 6; i++) b.append(i == 5 ? row[i] : String.format("%-" + (width[i] + 2) + "s", row[i]));
                b.append('\n');
            }
            b.append(stores.size() == 1 ? "1 store" : stores.size() + " stores");
            if (!drained.isEmpty()) b.append("; drained: ").append(String.join(", ", drained));
            return b.append('\n').toString();
        }

        private static String join(List<SlotRef> slots) {
            return slots.isEmpty() ? "-" : String.join(",", slots.stream().map(SlotRef::toString).toList());
        }
    }

    @Command(name = "place", header = "Create N stores on the cluster's free slots, spread (a node's config with [cluster]).", description = {
            "Each store's master goes to the node with the fewest masters (not drained), its replicas to other nodes, "
                    + "spreading each node's masters' replicas over as many nodes as there are (when a node dies, its load "
                    + "spreads instead of doubling one partner's). Only slots that no store names are used. Names are "
                    + "PREFIX1, PREFIX2, ... skipping those that exist. Nothing is created when a store cannot be placed."})
    static final class Place implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Option(names = "--stores", required = true, paramLabel = "N") int count;
        @Option(names = "--prefix", paramLabel = "PREFIX", description = "name prefix (default s)") String prefix = "s";
        @Option(names = "--replica-count", paramLabel = "N", description = "replicas per store (default 1)") int replicas = 1;
        @Option(names = "--dry-run", description = "print the plan, create nothing") boolean dryRun;

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (config.cluster() == null) throw new IllegalStateException("this node's config has no [cluster]");
            if (count < 1 || count > 10_000) throw new IllegalArgumentException("--stores: 1 to 10000, not " + count);
            try (ClusterAdmin cluster = ClusterAdmin.open(config.cluster())) {
                Map<String, StoreRecord> stores = cluster.stores((name, e) -> { });
                List<StorePlacement.Placed> plan = StorePlacement.plan(cluster.nodes(), stores.values(), cluster.drained(),
                        StorePlacement.names(prefix, count, stores.keySet()), replicas);
                return create(cluster, plan, StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, dryRun, spec.commandLine().getOut());
            }
        }
    }

    /** Creates the planned stores, one line each; 1 when one of them exists meanwhile. */
    static int create(ClusterAdmin cluster, List<StorePlacement.Placed> plan, StoreRecord.Mode mode, StoreRecord.OnReplicaLoss onReplicaLoss,
                      boolean dryRun, PrintWriter out) throws Exception {
        int status = 0;
        for (StorePlacement.Placed p : plan) {
            StoreRecord r = StoreCreation.record(p.store(), mode, onReplicaLoss, p.master(), p.replicas(),
                    System.currentTimeMillis());
            if (dryRun) {
                out.println("store " + p.store() + ": master " + p.master() + ", replicas " + p.replicas() + " (not created: --dry-run)");
                continue;
            }
            try {
                cluster.create(r);
                out.println("store " + p.store() + " created: master " + p.master() + ", replicas " + p.replicas() + ", "
                        + mode.name().toLowerCase(java.util.Locale.ROOT) + ", epoch " + r.epoch());
            } catch (dev.cairn.cluster.StoreConflictException e) {
                out.println("store " + p.store() + " exists already: not created");
                status = 1;
            }
        }
        out.flush();
        return status;
    }
}
