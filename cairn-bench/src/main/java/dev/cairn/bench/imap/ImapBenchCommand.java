// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import dev.cairn.bench.LoadOptions;
import dev.cairn.bench.Report;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cairn bench imap}. */
@Command(name = "imap", mixinStandardHelpOptions = true,
    description = {"Many concurrent IMAP clients against any IMAP server, each response checked.",
        "Each client logs in as a random user, selects INBOX and runs a weighted mix (close to imaptest's",
        "stress profile). Exit code 1 when any error or protocol violation was seen."})
public final class ImapBenchCommand implements Callable<Integer> {

    @Mixin
    LoadOptions load;

    @Option(names = "--port", defaultValue = "143", description = "IMAP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--user", defaultValue = "u%d", description = "User name pattern, %%d is the user number (default: ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--password", defaultValue = "pass", description = "Password, may contain %%d too (default: ${DEFAULT-VALUE}).")
    String password;

    @Option(names = "--users", defaultValue = "100", description = "Number of users (default: ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--first-user", defaultValue = "1", description = "Number of the first user (default: ${DEFAULT-VALUE}).")
    int firstUser;

    @Option(names = "--clients", defaultValue = "10", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--fill", defaultValue = "30",
        description = "Append until every INBOX holds this many messages before starting (default: ${DEFAULT-VALUE}).")
    int fill;

    @Option(names = "--mix", defaultValue = ImapMix.DEFAULT_SPEC,
        description = "Weights of the operations (default: ${DEFAULT-VALUE}).")
    String mix;

    @Override
    public Integer call() throws Exception {
        var config = new ImapBench.Config(load.endpoint(port), user, password, users, firstUser, fill, load.seed,
            load.minSize, load.maxSize, load.pool, ImapMix.parse(mix), load.settings(clients));
        Report report = new ImapBench(config, System.err).run();
        return load.finish(report, System.out);
    }
}
