// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.Node;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

import java.io.InputStream;
import java.util.function.Consumer;

/** The root of the `cairn` command. */
@Command(name = "cairn", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,versionProvider = VersionCommand.Provider.class,
        description = "Cairn: a replicated mail store (IMAP, POP3, LMTP).",
        subcommands = {ServeCommand.class, UserCommand.class, CheckCommand.class, VersionCommand.class,
                CommandLine.HelpCommand.class})
public final class CairnCommand implements Runnable {
    private final InputStream in;
    private final Consumer<Node> onServing;

    @CommandLine.Spec
    CommandSpec spec;

    public CairnCommand(InputStream in) {
        this(in, node -> { });
    }

    /** @param onServing called with the node once `serve` has started it (tests reach the node) */
    public CairnCommand(InputStream in, Consumer<Node> onServing) {
        this.in = in;
        this.onServing = onServing;
    }

    Consumer<Node> onServing() { return onServing; }

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
