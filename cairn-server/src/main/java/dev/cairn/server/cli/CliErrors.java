// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.DirectoryException;
import dev.cairn.server.config.ConfigException;
import dev.cairn.store.StoreException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * How the `cairn` command fails: one line on standard error that names what is wrong, exit
 * status 1 (2 for a command line it cannot parse), and the stack trace only with {@code --verbose}.
 * An operator reads the line; a trace is for a bug report.
 */
public final class CliErrors {
    /** Exit status of a failed command. */
    public static final int FAILED = 1;

    private CliErrors() {}

    /** Installs both handlers on the command line and returns it. */
    public static CommandLine install(CommandLine cli) {
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("cairn: " + describe(e));
            if (verbose(parseResult)) {
                e.printStackTrace(err);
            }
            err.flush();
            return FAILED;
        });
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            PrintWriter err = failed.getErr();
            err.println("cairn: " + usageError(e) + " (see: " + failed.getCommandSpec().qualifiedName() + " --help)");
            err.flush();
            return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
        return cli;
    }

    /** Picocli's words, except for a mistyped command, which it reports as "unmatched arguments". */
    private static String usageError(CommandLine.ParameterException e) {
        CommandLine.Model.CommandSpec spec = e.getCommandLine().getCommandSpec();
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.isUnknownOption() && !spec.subcommands().isEmpty()
                && !u.getUnmatched().isEmpty()) {
            return "'" + u.getUnmatched().getFirst() + "' is not a command of " + spec.qualifiedName()
                    + " (its commands: " + String.join(", ", spec.subcommands().keySet()) + ")";
        }
        return oneLine(e.getMessage());
    }

    private static boolean verbose(CommandLine.ParseResult result) {
        for (CommandLine.ParseResult r = result; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The failure in one line. Cairn's own refusals carry their words; the JDK's file errors
     * carry only a file name, so the reason is added; anything else is a bug and says its type.
     */
    static String describe(Throwable e) {
        String text = switch (e) {
            case ConfigException c -> c.getMessage();
            case DirectoryException d -> d.getMessage();
            case StoreException s -> s.getMessage();
            case IllegalArgumentException _, IllegalStateException _, BindException _ -> e.getMessage();
            case UncheckedIOException u -> describe(u.getCause());
            case AccessDeniedException a -> a.getFile() + ": permission denied (cairn runs as "
                    + System.getProperty("user.name") + ")";
            case NoSuchFileException n -> n.getFile() + ": no such file or directory";
            case NotDirectoryException n -> n.getFile() + ": not a directory";
            case FileAlreadyExistsException f -> f.getFile() + ": already exists";
            case FileSystemException f -> f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
            case ConnectException c -> "cannot connect: " + c.getMessage();
            case HttpTimeoutException t -> "no answer in time: " + t.getMessage();
            case IOException io -> io.getMessage() != null ? io.getMessage() : io.getClass().getSimpleName();
            default -> "internal error: " + e + " (run with --verbose for the stack trace, and report it)";
        };
        return oneLine(text != null ? text : e.getClass().getSimpleName());
    }

    /** Line breaks (a RocksDB message, an HTTP body) become spaces: one failure, one line. */
    static String oneLine(String text) {
        return text.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
