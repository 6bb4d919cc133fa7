// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.cluster.ClusterStatusText;
import dev.cairn.server.cluster.ZooKeeperClusterView;
import dev.cairn.server.config.NodeConfig;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;

/** `cairn cluster ...`: the cluster as a whole ([cluster]). */
@Command(name = "cluster", header = "The cluster as a whole (a node's config with [cluster]).", subcommands = {ClusterCommand.Status.class, ClusterDemoCommand.class})
public final class ClusterCommand implements Runnable {
    @CommandLine.Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** `cairn cluster status`: what the admin page shows, as text, read from ZooKeeper (no node needs to run here). */
    @Command(name = "status", header = "Nodes, slots, stores, masters, in-sync sets, lag and the last failovers, read from ZooKeeper.")
    static final class Status implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (config.cluster() == null) throw new IllegalStateException("this node's config has no [cluster]");
            long deadline = System.nanoTime() + config.cluster().connectionTimeout().toNanos();
            try (ZooKeeperClusterView view = ZooKeeperClusterView.of(config.cluster())) {
                while (!view.loaded()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("ZooKeeper " + config.cluster().zookeeper() + " not read within "
                                + config.cluster().connectionTimeout());
                    }
                    Thread.sleep(20);
                }
                spec.commandLine().getOut().print(ClusterStatusText.render(view.snapshot(), Instant.now()));
            }
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
