// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/** `cairn cluster ...`: the cluster on ZooKeeper as a whole. */
@Command(name = "cluster", header = "The cluster on ZooKeeper as a whole (a demo on this machine).",
        subcommands = {ClusterDemoCommand.class})
public final class ClusterCommand implements Runnable {
    @CommandLine.Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }
}
