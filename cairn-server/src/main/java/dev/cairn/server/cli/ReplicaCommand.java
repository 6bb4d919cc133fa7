// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.NodeConfig;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** `cairn replica status|resync|report|verify`: replication of the stores of a running node. */
@Command(name = "replica", description = "Replication of the running node's stores.",
        subcommands = {ReplicaCommand.Status.class, ReplicaCommand.Resync.class, ReplicaCommand.Report.class,
                ReplicaCommand.Verify.class})
public final class ReplicaCommand implements Runnable {
    @CommandLine.Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    static int print(CommandSpec spec, AdminClient.Answer a) {
        PrintWriter out = spec.commandLine().getOut();
        out.print(a.body());
        out.flush();
        return a.ok() ? 0 : 1;
    }

    @Command(name = "status", description = "Per store and channel: master, replicas, mode, epoch, acknowledged users, lag.")
    public static final class Status implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;

        @Override public Integer call() throws Exception {
            return print(spec, AdminClient.call(options.load(), "GET", "/replication/status"));
        }
    }

    @Command(name = "resync", description = "Copy a user (--user) or every user of a store (--store) to the replicas again (on the master).")
    public static final class Resync implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Option(names = "--store", required = true, paramLabel = "STORE") String store;
        @Option(names = "--user", paramLabel = "USER") String user;

        @Override public Integer call() throws Exception {
            String q = "store=" + URLEncoder.encode(store, StandardCharsets.UTF_8)
                    + (user == null ? "" : "&user=" + URLEncoder.encode(user, StandardCharsets.UTF_8));
            return print(spec, AdminClient.call(options.load(), "POST", "/replication/resync?" + q));
        }
    }

    @Command(name = "report", description = "What reconciliation merged, and which users were copied whole.")
    public static final class Report implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;

        @Override public Integer call() throws Exception {
            return print(spec, AdminClient.call(options.load(), "GET", "/replication/report"));
        }
    }

    @Command(name = "verify", description = {"Compare what clients see on this node with what they see on other nodes",
            "(--with CONFIG, the other nodes' config files): folders, subscriptions, UIDVALIDITY, HIGHESTMODSEQ,",
            "per-UID flags, MODSEQ, size and body hash. Exit 0 when identical."})
    public static final class Verify implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Option(names = "--with", required = true, paramLabel = "CONFIG") List<Path> others;
        @Option(names = "--user", paramLabel = "USER") String user;

        @Override public Integer call() throws Exception {
            String q = user == null ? "" : "?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8);
            NodeConfig self = options.load();
            AdminClient.Answer mine = AdminClient.call(self, "GET", "/replication/digest" + q);
            if (!mine.ok()) return print(spec, mine);
            PrintWriter out = spec.commandLine().getOut();
            boolean same = true;
            for (Path other : others) {
                AdminClient.Answer theirs = AdminClient.call(ConfigLoader.load(other), "GET", "/replication/digest" + q);
                if (!theirs.ok()) return print(spec, theirs);
                List<String> a = mine.body().lines().toList(), b = theirs.body().lines().toList();
                if (a.equals(b)) {
                    out.println("identical to " + other + " (" + a.size() + " lines)");
                    continue;
                }
                same = false;
                out.println("differs from " + other + ":");
                int shown = 0;
                for (String l : a) if (!b.contains(l) && shown++ < 50) out.println("  only here:  " + l);
                for (String l : b) if (!a.contains(l) && shown++ < 100) out.println("  only there: " + l);
            }
            out.flush();
            return same ? 0 : 1;
        }
    }
}
