// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.SqlDirectory;
import dev.cairn.directory.User;
import dev.cairn.directory.UserNames;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.server.verify.ReplicaVerifier;
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
@Command(name = "replica", header = "Show and repair the replication of the running node's stores.", description =
        "status, resync and report talk to the node that serves the data directory (--data or --config) through its "
                + "admin endpoint; verify logs into IMAP on this node and on the others and compares what clients see.",
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

    @Command(name = "status", header = "Per store and channel: master, replicas, mode, epoch, acknowledged users, lag; "
            + "per replica: connected or unreachable since when, lag, last acknowledgement.")
    public static final class Status implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;

        @Override public Integer call() throws Exception {
            return print(spec, AdminClient.call(options.load(), "GET", "/replication/status"));
        }
    }

    @Command(name = "resync", header = "Copy a user (--user) or every user of a store (--store) to the replicas again.",
            description = "Run it on the store's master.")
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

    @Command(name = "report", header = "What reconciliation merged, and which users were copied whole.")
    public static final class Report implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;

        @Override public Integer call() throws Exception {
            return print(spec, AdminClient.call(options.load(), "GET", "/replication/report"));
        }
    }

    @Command(name = "verify", header = "Compare what IMAP clients see on this node and on the others (--with).", description = {
            "Logs into IMAP on this node (--config, normally the master) and on each other node (--with CONFIG, their "
                    + "config files) with the read-only verification login, and compares what a client sees of every user "
                    + "of the directory (or --user): LIST, LSUB, STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ), and "
                    + "per UID FLAGS, MODSEQ, RFC822.SIZE and the SHA-256 of BODY[].",
            "Prints each difference; exit 0 when identical, 1 when anything differs, 2 when a node cannot be read."})
    public static final class Verify implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Option(names = "--with", required = true, paramLabel = "CONFIG") List<Path> others;
        @Option(names = "--user", paramLabel = "USER") String user;

        @Override public Integer call() throws Exception {
            NodeConfig self = options.load();
            List<String> users;
            try (SqlDirectory directory = options.openDirectory()) {
                // --user may be an address or differ in case: the store knows the canonical name
                users = user != null ? List.of(directory.resolve(user).map(r -> r.user())
                        .orElseGet(() -> UserNames.isValid(user) ? UserNames.canonical(user) : user))
                        : directory.users().stream().map(User::name).sorted().toList();
            }
            ReplicaVerifier verifier = new ReplicaVerifier(spec.commandLine().getOut());
            boolean same = true;
            try {
                ReplicaVerifier.Target reference = ReplicaVerifier.Target.of(self, "this node");
                for (Path other : others) {
                    ReplicaVerifier.Outcome o = verifier.compare(reference, ReplicaVerifier.Target.of(ConfigLoader.load(other), other.toString()), users);
                    same &= o.differences() == 0;
                }
            } catch (java.io.IOException | IllegalArgumentException | dev.cairn.server.config.ConfigException e) {
                // not a difference (exit 1): the comparison could not be made (a node down, a
                // login refused, an unreadable config or one without [replication] or IMAP)
                spec.commandLine().getErr().println("cairn: replica verify: " + e.getMessage());
                return 2;
            }
            return same ? 0 : 1;
        }
    }
}
