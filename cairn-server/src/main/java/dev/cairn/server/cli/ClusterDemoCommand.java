// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.demo.ClusterDemo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** `cairn cluster demo [--dir DIR] [--keep]`. */
@Command(name = "demo", header = "Run a three-node cluster on this machine: a real ZooKeeper, sample users and mail; kill a node and watch.",
        description = {
        "Starts a ZooKeeper server in this process and three `cairn serve` nodes (n1, n2, n3) as child processes, every "
                + "listener on 127.0.0.1 and a port the system picks. Three stores are placed so that each node masters one "
                + "and replicates another; each has a sample user (one password for all, printed) with a few messages "
                + "delivered over LMTP. Then it prints the ports, the users, how to connect, the cluster page's address "
                + "and the command that kills a master node, and reports nodes leaving and joining and each failover as "
                + "they happen (the session timeout is 4 s).",
        "Ctrl-C stops the nodes and ZooKeeper and removes the directory unless --keep. A single ZooKeeper server in "
                + "one process is for a demo only: a cluster's ensemble is three or five servers on other machines."})
public final class ClusterDemoCommand implements Callable<Integer> {
    @CommandLine.Spec CommandSpec spec;
    @Option(names = "--dir", paramLabel = "DIR", description = "where the nodes' data, configs and logs and ZooKeeper's data go "
            + "(new or empty; default: a new temporary directory)")
    Path dir;
    @Option(names = "--keep", description = "leave the directory in place when the demo stops") boolean keep;

    @Override public Integer call() throws Exception {
        if (dir != null && Files.isDirectory(dir)) {
            try (var entries = Files.list(dir)) {
                // Never the user's files: the demo removes its directory when it stops.
                if (entries.findAny().isPresent()) throw new IllegalArgumentException("--dir " + dir + " is not empty: give a new or empty directory");
            }
        }
        Path where = dir != null ? dir : Files.createTempDirectory("cairn-demo-");
        boolean status = spec.parent().subcommands().containsKey("status");
        ClusterDemo demo = new ClusterDemo(where, keep, System.out, status);
        // Ctrl-C (SIGINT) or SIGTERM: the JVM runs its shutdown hooks, this one stops what the demo started.
        Thread stop = new Thread(demo::close, "cairn-demo-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            demo.start();
            demo.watch();
            return 0;
        } catch (Exception e) {
            demo.close();
            throw e;
        }
    }
}
