// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.server.cli.CairnCommand;
import dev.cairn.server.cli.CliErrors;
import picocli.CommandLine;

import java.io.InputStream;

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

    /** The command line with Cairn's error handling (see {@link CliErrors}). */
    public static CommandLine commandLine(CairnCommand root) {
        return CairnCommand.commandLine(root);
    }
}
