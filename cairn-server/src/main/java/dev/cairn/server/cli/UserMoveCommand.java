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

/** {@code cairn user move U --to STORE}: an online move, through the running node (cairn-server's UserMove). */
@Command(name = "move", header = "Move a user's mail to another store of the cluster, online.", description = {
        "Copies the user to the master of STORE, follows its changes, holds its writes for a moment (deliveries wait, "
                + "they do not fail), places it on STORE in the directory, ends its IMAP sessions (BYE [UNAVAILABLE]: clients "
                + "reconnect to the new place) and removes the old copy. UIDVALIDITY, UIDs and flags stay as they are. "
                + "Run it against any running node of the cluster; run it again after a failure: a move that placed the "
                + "user and stopped before removing the old copy is finished, one that did not is started over."})
final class UserMoveCommand implements Callable<Integer> {
    @Mixin ConfigOptions options;
    @CommandLine.Spec CommandSpec spec;
    @Parameters(paramLabel = "NAME") String name;
    @Option(names = "--to", required = true, paramLabel = "STORE", description = "the store to move the user to")
    String to;
    @Option(names = "--budget", paramLabel = "DURATION", defaultValue = "10s",
            description = "the longest the user's writes are held for the switch (default ${DEFAULT-VALUE}); past it the move is abandoned")
    String budget;

    @Override
    public Integer call() throws Exception {
        NodeConfig config = options.load();
        if (config.cluster() == null) throw new IllegalStateException("this node's config has no [cluster]: users move between a cluster's stores");
        java.time.Duration b = budget.strip().endsWith("ms") ? java.time.Duration.ofMillis(Long.parseLong(budget.strip().replace("ms", "")))
                : dev.cairn.server.config.Sizes.parseDuration(budget);
        AdminClient.Answer a = AdminClient.call(config, "POST", "/users/move?user=" + URLEncoder.encode(name, StandardCharsets.UTF_8)
                + "&to=" + URLEncoder.encode(to, StandardCharsets.UTF_8) + "&budget_ms=" + b.toMillis());
        spec.commandLine().getOut().print(a.body());
        spec.commandLine().getOut().flush();
        return a.ok() ? 0 : 1;
    }
}
