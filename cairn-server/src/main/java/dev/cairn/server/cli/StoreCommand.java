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
@Command(name = "store", header = "Operations on replicated stores (promote a replica to master).",
        subcommands = {StoreCommand.Promote.class})
public final class StoreCommand implements Runnable {
    @CommandLine.Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** `cairn store promote STORE --to NODE/SLOT`: run against the node that is to become master. */
    @Command(name = "promote", header = "Make NODE/SLOT the master of STORE (run it with the --config of NODE).", description = {
            "A new epoch: the old master, once it learns of it, stops writing; what it had that never arrived is merged "
                    + "when it rejoins."})
    public static final class Promote implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "STORE") String store;
        @Option(names = "--to", required = true, paramLabel = "NODE/SLOT") String to;

        @Override public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (config.replication() == null) throw new IllegalStateException("this node's config has no [replication]");
            String self = config.replication().config().node() + "/" + config.replication().slot();
            if (!self.equals(to)) {
                throw new IllegalStateException("this config is node " + self + ", not " + to + ": run with --config of " + to);
            }
            AdminClient.Answer a = AdminClient.call(config, "POST", "/replication/promote?store=" + URLEncoder.encode(store, StandardCharsets.UTF_8));
            spec.commandLine().getOut().print(a.body());
            spec.commandLine().getOut().flush();
            return a.ok() ? 0 : 1;
        }
    }
}
