// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.UserNames;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** `cairn check`: verifies the store's invariants, repairing with --repair; exit 1 when problems remain. */
@Command(name = "check", header = "Check the store's consistency, and repair it with --repair.", description =
        "Prints each problem in plain words. Runs inside the node when one serves the data directory (through its "
                + "admin endpoint), else opens the store itself. Exit status 0 when no problem remains, 1 otherwise.")
public final class CheckCommand implements Callable<Integer> {
    @Mixin ConfigOptions options;
    @CommandLine.Spec CommandSpec spec;
    @Option(names = "--user", paramLabel = "USER", description = "check only this user (default: all)")
    String user;
    @Option(names = "--repair", description = "repair what can be repaired")
    boolean repair;

    @Override
    public Integer call() throws Exception {
        SlotAccess.Outcome outcome = SlotAccess.check(options.load(), user == null ? null : UserNames.canonical(user), repair);
        spec.commandLine().getOut().print(outcome.text());
        spec.commandLine().getOut().flush();
        return outcome.ok() ? 0 : 1;
    }
}
