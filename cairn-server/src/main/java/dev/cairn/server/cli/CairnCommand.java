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
@Command(name = "cairn", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,versionProvider = VersionCommand.Provider.class,
        description = "Cairn: a replicated mail store (IMAP, POP3, LMTP).",
        subcommands = {ServeCommand.class, UserCommand.class, CheckCommand.class, BenchCommand.class, StoreCommand.class,
                ReplicaCommand.class, TlsCommand.class, VersionCommand.class,
                CommandLine.HelpCommand.class})
public final class CairnCommand implements Runnable {
    private final InputStream in;
    private final Consumer<Node> onServing;
    private final boolean handleSignals;

    @CommandLine.Spec
    CommandSpec spec;

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

    /** The root command object of any subcommand's spec. */
    static CairnCommand root(CommandSpec spec) {
        return (CairnCommand) spec.root().userObject();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
