// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.cluster.ClusterAdmin;
import dev.cairn.cluster.DrainPlanner;
import dev.cairn.server.config.NodeConfig;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /** `cairn node drain NODE [--budget 30s]`: run with the --config of NODE. */
    @Command(name = "drain", header = "Move every master off NODE, store by store (run it with the --config of NODE).", description = {
            "Marks NODE drained in the cluster (no master is given to it, by the controller or by placement, until "
                    + "`cairn node undrain`), then switches each store it masters over to an in-sync replica on another node "
                    + "(the one with the fewest masters): writes of that store wait while the replica catches the last changes, "
                    + "the store map names the replica master at the next epoch, and NODE becomes an in-sync replica. One line "
                    + "per store with its switch time.",
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
            String self = requireClusterNode(config);
            if (!self.equals(node)) {
                throw new IllegalStateException("this config is node " + self + ": run `cairn node drain " + node + "` with the --config of "
                        + node + " (its masters switch over from there)");
            }
            Duration b = dev.cairn.server.config.Sizes.parseDuration(budget);
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
                out.println(cluster.markDrained(node) ? "node " + node + " marked drained: no master is given to it until `cairn node undrain "
                        + node + "`" : "node " + node + " is drained already: going on with the masters still on it");
                out.flush();
                return drain(cluster, config, b, out, stop);
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs
                }
            }
        }

        private int drain(ClusterAdmin cluster, NodeConfig config, Duration b, PrintWriter out, AtomicBoolean stop) throws Exception {
            long start = System.nanoTime();
            List<Long> times = new ArrayList<>();
            Map<String, String> failed = new LinkedHashMap<>();
            DrainPlanner.Plan plan;
            // A pass plans every store of the node at once (the moves spread); the node's endpoint checks each
            // record again before it switches; the next pass reads the map afresh, until nothing is left to try.
            while (true) {
                plan = DrainPlanner.plan(node, cluster.stores((name, e) -> out.println("store " + name + ": record refused: " + e.getMessage())),
                        cluster.nodes(), cluster.drained());
                List<DrainPlanner.Move> moves = plan.moves().stream().filter(m -> !failed.containsKey(m.store())).toList();
                if (moves.isEmpty() || stop.get()) break;
                int total = times.size() + moves.size();
                for (DrainPlanner.Move move : moves) {
                    if (stop.get()) break;
                    switchOne(config, move, b, times, failed, total, out);
                }
            }
            long total = (System.nanoTime() - start) / 1_000_000;
            out.printf("%d store(s) switched off %s in %.1f s%s%n", times.size(), node, total / 1000.0, times.isEmpty() ? "" : percentiles(times));
            int left = plan.moves().size() + plan.stuck().size();
            for (DrainPlanner.Stuck s : plan.stuck()) out.println("store " + s.store() + " stays on " + s.master() + ": " + s.why());
            if (stop.get() && left > 0) {
                out.println("interrupted: " + left + " store(s) still mastered on " + node + "; `cairn node drain " + node + "` goes on with them");
            } else if (left > 0) {
                out.println(left + " store(s) still mastered on " + node + " (run `cairn node drain " + node + "` again to retry)");
            } else {
                out.println("node " + node + " masters no store");
            }
            out.flush();
            return left == 0 ? 0 : 1;
        }

        /** One store: one line, its time added to {@code times} or its failure to {@code failed}. */
        private static void switchOne(NodeConfig config, DrainPlanner.Move move, Duration b, List<Long> times, Map<String, String> failed,
                                      int total, PrintWriter out) throws Exception {
            long t0 = System.nanoTime();
            String answer;
            boolean done;
            try {
                answer = AdminClient.call(config, "POST", "/cluster/switch?store=" + URLEncoder.encode(move.store(), StandardCharsets.UTF_8)
                        + "&to=" + URLEncoder.encode(move.to().toString(), StandardCharsets.UTF_8) + "&budget_ms=" + b.toMillis()).body();
                done = true;
            } catch (IllegalStateException e) {
                answer = e.getMessage();
                done = false;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (done) {
                times.add(ms);
                String pause = answer.lines().skip(1).findFirst().orElse("");
                out.printf("[%d/%d] store %s: %s -> %s in %d ms (%s)%n", times.size(), total, move.store(), move.from(), move.to(), ms, pause);
            } else {
                failed.put(move.store(), answer.lines().findFirst().orElse(answer));
                out.printf("store %s: not switched to %s after %d ms: %s%n", move.store(), move.to(), ms, failed.get(move.store()));
            }
            out.flush();
        }

        private static String percentiles(List<Long> times) {
            List<Long> sorted = new ArrayList<>(times);
            Collections.sort(sorted);
            return String.format(" (per store: p50 %d ms, max %d ms)", sorted.get((sorted.size() - 1) / 2), sorted.getLast());
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
