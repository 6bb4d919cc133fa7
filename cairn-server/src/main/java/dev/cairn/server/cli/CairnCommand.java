// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.bench.BenchCommand;
import dev.cairn.server.Node;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

import java.io.InputStream;
import java.util.function.Consumer;

/** The root of the `cairn` command. */
@Command(name = "cairn", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = VersionCommand.Provider.class,
        subcommands = {ServeCommand.class, ProxyCommand.class, UserCommand.class, CheckCommand.class, BenchCommand.class, StoreCommand.class,
                ReplicaCommand.class, NodeCommand.class, ClusterCommand.class, TlsCommand.class, ReloadCommand.class, VersionCommand.class,
                CommandLine.HelpCommand.class})
public final class CairnCommand implements Runnable {
    private final InputStream in;
    private final Consumer<Node> onServing;
    private final boolean handleSignals;

    @CommandLine.Spec
    CommandSpec spec;

    /** Read by {@link CliErrors} from the parse result; here so every command accepts it and its help lists it. */
    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "on an error, print its stack trace after the one line")
    boolean verbose;

    /** The command as a process runs it: `serve` stops on SIGTERM and SIGINT. */
    public CairnCommand(InputStream in) {
        this(in, node -> { }, true);
    }

    private CairnCommand(InputStream in, Consumer<Node> onServing, boolean handleSignals) {
        this.in = in;
        this.onServing = onServing;
        this.handleSignals = handleSignals;
    }

    /**
     * The command run inside another program (tests): `serve` leaves the process's signals alone
     * and hands its node to {@code onServing}, whose {@link Node#requestStop()} stops it.
     */
    public static CairnCommand embedded(InputStream in, Consumer<Node> onServing) {
        return new CairnCommand(in, onServing, false);
    }

    Consumer<Node> onServing() { return onServing; }

    boolean handleSignals() { return handleSignals; }

    /** Standard input of the command (a password with --password-stdin). */
    public InputStream in() { return in; }

    /**
     * The command line with Cairn's help texts and error handling. The root's texts are set here,
     * after the subcommands took what they inherit (scope INHERIT gives them -h and -V): in the
     * annotation every subcommand without texts of its own would show the root's.
     */
    public static CommandLine commandLine(CairnCommand root) {
        CommandLine cli = new CommandLine(root);
        cli.getCommandSpec().usageMessage()
                .header("Cairn: a replicated mail store (IMAP, POP3, LMTP).")
                .description("Every command that works on a node's data takes --data DIR (default ./data) or --config FILE. "
                        + "On an error a command prints one line and exits with status 1 (2 for a command line it cannot read); "
                        + "--verbose adds the stack trace.");
        return CliErrors.install(cli);
    }

    /** The root command object of any subcommand's spec. */
    static CairnCommand root(CommandSpec spec) {
        return (CairnCommand) spec.root().userObject();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
