// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.cluster.ClusterAdmin;
import dev.cairn.cluster.DrainPlanner;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.server.ClusterToken;
import dev.cairn.server.config.NodeConfig;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `cairn node ...`: a cluster node's maintenance (drain its masters off it, and back). */
@Command(name = "node", header = "A cluster node's maintenance: move every master off it (drain), and let it take masters again (undrain).",
        subcommands = {NodeCommand.Drain.class, NodeCommand.Undrain.class})
public final class NodeCommand implements Runnable {
    @CommandLine.Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** `cairn node drain NODE [--budget 30s]`: run with the --config of any node of the cluster. */
    @Command(name = "drain", header = "Move every master off NODE, store by store (run it with the --config of any node of the cluster).",
            description = {
            "Marks NODE drained in the cluster (no master is given to it, by the controller or by placement, until "
                    + "`cairn node undrain`), then asks NODE (its admin address from its registration, the cluster token "
                    + "derived from the cluster secret) to switch each store it masters over to an in-sync replica on another "
                    + "node (the one with the fewest masters): writes of that store wait while the replica catches the last "
                    + "changes, the store map names the replica master at the next epoch, and NODE becomes an in-sync replica. "
                    + "On a terminal a progress bar; elsewhere one line per store with its switch time; at the end the time in "
                    + "all and per store (p50, max).",
            "Resumable: run it again after an interruption and it goes on with the stores still on NODE. Ctrl-C stops "
                    + "after the store under way: every store is either switched or still on NODE. A store that cannot move "
                    + "(no in-sync replica on a live node that is not drained, or its switch gave up within the budget) is "
                    + "listed with why; the exit status is then 1."})
    public static final class Drain implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NODE") String node;
        @Option(names = "--budget", paramLabel = "DURATION", description = "how long the writes of one store may wait (default 30s; 500ms, 2s)")
        String budget = "30s";

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            requireClusterNode(config);
            Duration b = dev.cairn.server.config.Sizes.parseDuration(budget);
            String token = ClusterToken.of(config.replication().config().secret());
            PrintWriter out = spec.commandLine().getOut();
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch finished = new CountDownLatch(1);
            // Ctrl-C: the store under way finishes (on the node, whatever this process does), then this says what is left.
            Thread hook = new Thread(() -> {
                stop.set(true);
                try {
                    finished.await(b.toMillis() + 10_000, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "cairn-drain-interrupt");
            Runtime.getRuntime().addShutdownHook(hook);
            try (ClusterAdmin cluster = ClusterAdmin.open(config.cluster())) {
                adminAddress(cluster.nodes()); // a name no node registered is not marked
                out.println(cluster.markDrained(node) ? "node " + node + " marked drained: no master is given to it until `cairn node undrain "
                        + node + "`" : "node " + node + " is drained already: going on with the masters still on it");
                out.flush();
                DrainProgress progress = new DrainProgress(out, DrainProgress.detect(), System::nanoTime);
                Thread ticker = progress.form() == DrainProgress.Form.BAR ? Thread.ofVirtual().name("cairn-drain-bar").start(() -> {
                    try {
                        while (true) {
                            Thread.sleep(200);
                            progress.tick();
                        }
                    } catch (InterruptedException e) {
                        // the drain ended
                    }
                }) : null;
                try {
                    return drain(cluster, token, b, progress, stop);
                } finally {
                    if (ticker != null) ticker.interrupt();
                }
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs
                }
            }
        }

        private int drain(ClusterAdmin cluster, String token, Duration b, DrainProgress progress, AtomicBoolean stop) throws Exception {
            Map<String, String> failed = new LinkedHashMap<>();
            DrainPlanner.Plan plan;
            // A pass plans every store of the node at once (the moves spread); the node's endpoint checks each
            // record again before it switches; the next pass reads the map afresh, until nothing is left to try.
            while (true) {
                Map<String, NodeRecord> nodes = cluster.nodes();
                plan = DrainPlanner.plan(node, cluster.stores((name, e) -> progress.line("store " + name + ": record refused: " + e.getMessage())),
                        nodes, cluster.drained());
                List<DrainPlanner.Move> moves = plan.moves().stream().filter(m -> !failed.containsKey(m.store())).toList();
                if (moves.isEmpty() || stop.get()) break;
                String admin = adminAddress(nodes);
                progress.planned(progress.switched() + moves.size());
                for (DrainPlanner.Move move : moves) {
                    if (stop.get()) break;
                    switchOne(admin, token, move, b, failed, progress);
                }
            }
            int left = plan.moves().size() + plan.stuck().size();
            progress.finish(node, plan.stuck(), left, stop.get());
            return left == 0 ? 0 : 1;
        }

        /** One store, on the node's admin endpoint: its time to {@code progress}, or its failure to {@code failed} too. */
        private void switchOne(String admin, String token, DrainPlanner.Move move, Duration b, Map<String, String> failed,
                               DrainProgress progress) throws Exception {
            progress.started(move.store(), move.from(), move.to());
            long t0 = System.nanoTime();
            HttpResponse<String> r;
            try {
                r = AdminClient.send(admin, token, "node " + node, "POST", "/cluster/switch?store=" + URLEncoder.encode(move.store(), StandardCharsets.UTF_8)
                        + "&to=" + URLEncoder.encode(move.to().toString(), StandardCharsets.UTF_8) + "&budget_ms=" + b.toMillis(),
                        b.plus(Duration.ofMinutes(2)), Set.of(200, 401, 409, 500));
            } catch (ConnectException e) {
                throw new IllegalStateException("node " + node + ": its admin endpoint " + admin + " (as registered) does not answer");
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            String body = r.body().strip();
            if (r.statusCode() == 401) {
                throw new IllegalStateException("node " + node + " refused the cluster token (HTTP 401): this config's cluster secret is not "
                        + "the one node " + node + " runs with");
            }
            if (r.statusCode() == 200) {
                progress.switched(move.store(), move.from(), move.to(), ms, body.lines().skip(1).findFirst().orElse(""));
            } else {
                String why = body.isEmpty() ? "HTTP " + r.statusCode() : body.lines().findFirst().orElseThrow();
                failed.put(move.store(), why);
                progress.failed(move.store(), move.to(), ms, why);
            }
        }

        /** The node's admin endpoint, from its registration. */
        private String adminAddress(Map<String, NodeRecord> nodes) {
            NodeRecord n = nodes.get(node);
            if (n == null) {
                throw new IllegalStateException("node " + node + " is not registered in the cluster (not running, or no node of that name; "
                        + "`cairn cluster status` lists them): a drain switches its stores through it");
            }
            String admin = n.addresses().get("admin");
            if (admin == null) throw new IllegalStateException("node " + node + " registered no admin address (its [admin] is off): a drain switches its stores through it");
            return admin;
        }
    }

    /** `cairn node undrain NODE`. */
    @Command(name = "undrain", header = "Let NODE take masters again (the controller's failovers, placement, a drain of another node).",
            description = {"Takes NODE's drain mark away. Nothing moves by itself: `cairn node drain OTHER` or `cairn store switch` "
                    + "moves stores to it."})
    public static final class Undrain implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NODE") String node;

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            requireClusterNode(config);
            try (ClusterAdmin cluster = ClusterAdmin.open(config.cluster())) {
                spec.commandLine().getOut().println(cluster.unmarkDrained(node) ? "node " + node + " undrained: it may be given masters again"
                        : "node " + node + " was not drained");
            }
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** This config's node name; refused without [cluster]. */
    static String requireClusterNode(NodeConfig config) {
        if (config.cluster() == null) throw new IllegalStateException("this node's config has no [cluster]");
        if (config.replication() == null) throw new IllegalStateException("this node's config has no [replication]");
        return config.replication().config().node();
    }
}
