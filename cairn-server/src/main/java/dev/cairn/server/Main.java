// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.directory.DirectoryException;
import dev.cairn.server.cli.CairnCommand;
import dev.cairn.server.config.ConfigException;
import dev.cairn.store.StoreException;
import picocli.CommandLine;

import java.io.InputStream;
import java.net.BindException;

/** The `cairn` command (run by the ./cairn launcher). */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // Commands other than serve speak for themselves; the log only shows what went wrong.
        boolean serve = args.length > 0 && args[0].equals("serve");
        if (!serve && System.getProperty("CAIRN_LOG_LEVEL") == null && System.getenv("CAIRN_LOG_LEVEL") == null) {
            System.setProperty("CAIRN_LOG_LEVEL", "WARN");
        }
        // logback.xml names its appenders after the formats; any other value would log nothing.
        String format = System.getProperty("CAIRN_LOG_FORMAT", System.getenv("CAIRN_LOG_FORMAT"));
        if (format != null && !format.equals("text") && !format.equals("json")) {
            System.err.println("cairn: CAIRN_LOG_FORMAT must be text or json, not '" + format + "'");
            System.exit(2);
        }
        // A broken JVM ends the process (exit status 3) rather than leave a node half-dead.
        Thread.setDefaultUncaughtExceptionHandler(new FatalErrors());
        System.exit(run(System.in, args));
    }

    /** Runs the command line in this process and returns its exit status. */
    public static int run(InputStream in, String... args) {
        return commandLine(new CairnCommand(in)).execute(args);
    }

    /**
     * The command line with Cairn's error handling: an operator error (bad config, unknown user,
     * address taken, store refusal) prints one line and exits 1; anything else prints its trace.
     */
    public static CommandLine commandLine(CairnCommand root) {
        CommandLine cli = new CommandLine(root);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ConfigException || e instanceof DirectoryException || e instanceof StoreException
                    || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof BindException) {
                commandLine.getErr().println("cairn: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli;
    }
}
