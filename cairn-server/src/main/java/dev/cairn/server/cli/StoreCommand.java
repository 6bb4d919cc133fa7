// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.config.NodeConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `cairn store ...`: operations on replicated stores. */
@Command(name = "store", header = "Operations on replicated stores (promote a replica to master, take a fenced slot over).",
        subcommands = {StoreCommand.Create.class, StoreMapCommands.ListStores.class, StoreMapCommands.Place.class, StoreCommand.Promote.class, StoreCommand.Switch.class, StoreCommand.Takeover.class})
public final class StoreCommand implements Runnable {
    @CommandLine.Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** `cairn store create STORE [--master NODE/SLOT --replicas NODE/SLOT,...]`: a store record in the cluster's map ([cluster]). */
    @Command(name = "create", header = "Create STORE in the cluster's store map (a node's config with [cluster]).", description = {
            "Writes the store's record on ZooKeeper: its master slot, its replica slots (each on another node), its mode, "
                    + "at epoch 1 with every replica in sync (the store is empty). The nodes named follow it at once. "
                    + "A store of that name already there is refused (exit status 1).",
            "Without --master the slots are chosen on free slots as `cairn store place` chooses them (--replica-count "
                    + "replicas, 1 by default)."})
    public static final class Create implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "STORE") String store;
        @Option(names = "--master", paramLabel = "NODE/SLOT", description = "the master slot (default: chosen)") String master;
        @Option(names = "--replica-count", paramLabel = "N", description = "without --master: replicas to choose (default 1)") int replicaCount = 1;
        @Option(names = "--replicas", split = ",", paramLabel = "NODE/SLOT") java.util.List<String> replicas = java.util.List.of();
        @Option(names = "--mode", paramLabel = "sync|async", description = "sync (the default) or async") String mode = "sync";
        @Option(names = "--on-replica-loss", paramLabel = "degrade|refuse", description = "degrade (the default) or refuse")
        String onReplicaLoss = "degrade";

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (config.cluster() == null) throw new IllegalStateException("this node's config has no [cluster]");
            var m = switch (mode) {
                case "sync" -> dev.cairn.cluster.StoreRecord.Mode.SYNC;
                case "async" -> dev.cairn.cluster.StoreRecord.Mode.ASYNC;
                default -> throw new IllegalArgumentException("--mode: sync or async, not " + mode);
            };
            var loss = switch (onReplicaLoss) {
                case "degrade" -> dev.cairn.cluster.StoreRecord.OnReplicaLoss.DEGRADE;
                case "refuse" -> dev.cairn.cluster.StoreRecord.OnReplicaLoss.REFUSE;
                default -> throw new IllegalArgumentException("--on-replica-loss: degrade or refuse, not " + onReplicaLoss);
            };
            if (master == null) {
                if (!replicas.isEmpty()) throw new IllegalArgumentException("--replicas needs --master");
                try (var cluster = dev.cairn.cluster.ClusterAdmin.open(config.cluster())) {
                    var stores = cluster.stores((name, e) -> { });
                    var plan = dev.cairn.cluster.StorePlacement.plan(cluster.nodes(), stores.values(), cluster.drained(),
                            java.util.List.of(store), replicaCount);
                    int status = StoreMapCommands.create(cluster, plan, m, loss, false, spec.commandLine().getOut());
                    if (status != 0) spec.commandLine().getErr().println("store " + store + " exists already in " + config.cluster().zookeeper()
                            + config.cluster().root());
                    return status;
                }
            }
            var record = dev.cairn.cluster.StoreCreation.record(store, m, loss,
                    dev.cairn.cluster.SlotRef.parse(master), replicas.stream().map(dev.cairn.cluster.SlotRef::parse).toList(),
                    System.currentTimeMillis());
            try {
                dev.cairn.cluster.StoreCreation.create(config.cluster(), record);
            } catch (dev.cairn.cluster.StoreConflictException e) {
                spec.commandLine().getErr().println("store " + store + " exists already in " + config.cluster().zookeeper() + config.cluster().root());
                return 1;
            }
            spec.commandLine().getOut().println("store " + store + " created: master " + record.master() + ", replicas " + record.replicas()
                    + ", " + mode + ", epoch " + record.epoch());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** `cairn store promote STORE --to NODE/SLOT`: run against the node that is to become master (a cluster: {@link ClusterPromote}). */
    @Command(name = "promote", header = "Make NODE/SLOT the master of STORE (run it with the --config of NODE).", description = {
            "A new epoch: the old master, once it learns of it, stops writing; what it had that never arrived is merged "
                    + "when it rejoins.",
            "Refused for a replica that cannot show it is in sync (it restarted, or fell behind, since its master last told "
                    + "it that it held everything acknowledged): the refusal says since when. --force promotes it anyway "
                    + "(unclean): every mailbox of every user of the store gets a new UIDVALIDITY, listed in the output and "
                    + "in `cairn replica report`, and clients resync them.",
            "In a cluster ([cluster]) it writes the store map instead, for a store whose master's node is gone: NODE/SLOT "
                    + "(default: this config's slot of STORE) master at the next epoch, and a failover record; the node follows "
                    + "the map. Without --force only an in-sync replica; with it any replica, unclean as above."})
    public static final class Promote implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "STORE") String store;
        @Option(names = "--to", paramLabel = "NODE/SLOT", description = "the slot to promote (required without [cluster])") String to;
        @Option(names = "--force", description = "promote a replica that cannot show it is in sync (unclean: new UIDVALIDITYs)")
        boolean force;

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (config.cluster() != null) return ClusterPromote.run(config, store, to, force, spec.commandLine().getOut(), spec.commandLine().getErr());
            if (to == null) throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--to=NODE/SLOT'");
            if (config.replication() == null) throw new IllegalStateException("this node's config has no [replication]");
            String node = config.replication().config().node();
            if (!config.store().slots().stream().map(slot -> node + "/" + slot).toList().contains(to)) {
                String self = node + "/" + String.join(", " + node + "/", config.store().slots());
                throw new IllegalStateException("this config is node " + self + ", not " + to + ": run with --config of " + to);
            }
            AdminClient.Answer a = AdminClient.call(config, "POST", "/replication/promote?store=" + URLEncoder.encode(store, StandardCharsets.UTF_8)
                    + (force ? "&force=true" : ""));
            spec.commandLine().getOut().print(a.body());
            spec.commandLine().getOut().flush();
            return a.ok() ? 0 : 1;
        }
    }

    /** `cairn store switch STORE --to NODE/SLOT [--budget 30s]`: run against the store's master. */
    @Command(name = "switch", header = "Move STORE's master to its replica NODE/SLOT, planned (run it with the --config of the master).",
            description = {
            "New writes of the store wait while the replica catches the last changes; it then takes the store over at the "
                    + "next epoch (no new UIDVALIDITY: it holds everything) and this node becomes its replica. The writes that "
                    + "waited are refused as a fenced master's are (IMAP NO [UNAVAILABLE], LMTP 451 4.3.0): clients retry on "
                    + "the new master.",
            "If the budget passes first, or the replica is unreachable, behind, or runs an older Cairn, nothing changes: "
                    + "the writes go on here and the output says why (exit status 1). Prints the write pause."})
    public static final class Switch implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "STORE") String store;
        @Option(names = "--to", required = true, paramLabel = "NODE/SLOT") String to;
        @Option(names = "--budget", paramLabel = "DURATION", description = "how long writes may wait (default 30s; 500ms, 2s, 1m)")
        String budget = "30s";

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (config.replication() == null) throw new IllegalStateException("this node's config has no [replication]");
            java.time.Duration b = budget.strip().endsWith("ms") ? java.time.Duration.ofMillis(Long.parseLong(budget.strip().replace("ms", "")))
                    : dev.cairn.server.config.Sizes.parseDuration(budget);
            AdminClient.Answer a = AdminClient.call(config, "POST", "/replication/switch?store=" + URLEncoder.encode(store, StandardCharsets.UTF_8)
                    + "&to=" + URLEncoder.encode(to, StandardCharsets.UTF_8) + "&budget_ms=" + b.toMillis());
            spec.commandLine().getOut().print(a.body());
            spec.commandLine().getOut().flush();
            return a.ok() ? 0 : 1;
        }
    }

    /** `cairn store takeover STORE`: a fenced slot, no node running on it, becomes a node of its own. */
    @Command(name = "takeover", header = "Take a fenced slot of STORE over as a node of its own (no node may run on it).", description = {
            "A slot that was a replica of STORE, or its master until another node took over, stays fenced whatever config "
                    + "it starts with: `cairn serve` without [replication] refuses it. This makes it a master of its own, "
                    + "deliberately: a new epoch, UIDs and MODSEQs past every reservation, and a new UIDVALIDITY for every "
                    + "mailbox (it cannot vouch for the UIDs the store's master handed out since). What that master acknowledged "
                    + "since the slot was fenced is not here. To rejoin the store instead, restore the [replication] section."})
    public static final class Takeover implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "STORE") String store;

        @Override public Integer call() throws Exception {
            SlotAccess.Outcome o = SlotAccess.takeover(options.load(), store);
            spec.commandLine().getOut().print(o.text());
            spec.commandLine().getOut().flush();
            return o.ok() ? 0 : 1;
        }
    }
}
