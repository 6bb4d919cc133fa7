// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.lmtp;

import dev.cairn.bench.LoadOptions;
import dev.cairn.bench.Report;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cairn bench lmtp}. */
@Command(name = "lmtp", mixinStandardHelpOptions = true,
    description = {"Concurrent LMTP deliveries against any LMTP server, one checked reply per recipient.",
        "Exit code 1 when any delivery failed or a reply broke the protocol."})
public final class LmtpBenchCommand implements Callable<Integer> {

    @Mixin
    LoadOptions load;

    @Option(names = "--port", defaultValue = "24", description = "LMTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--rcpt", defaultValue = "u%d@example.com",
        description = "Recipient address pattern, %%d is the user number (default: ${DEFAULT-VALUE}).")
    String recipient;

    @Option(names = "--users", defaultValue = "100", description = "Number of users (default: ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--first-user", defaultValue = "1", description = "Number of the first user (default: ${DEFAULT-VALUE}).")
    int firstUser;

    @Option(names = "--connections", defaultValue = "8", description = "Concurrent connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--recipients", defaultValue = "1-3",
        description = "Recipients per message: N or MIN-MAX, uniform (default: ${DEFAULT-VALUE}).")
    String recipients;

    @Option(names = "--from", defaultValue = "bench@example.net", description = "Envelope sender (default: ${DEFAULT-VALUE}).")
    String from;

    @Override
    public Integer call() throws Exception {
        String[] range = recipients.split("-");
        int min = Integer.parseInt(range[0].trim());
        int max = range.length > 1 ? Integer.parseInt(range[1].trim()) : min;
        var config = new LmtpBench.Config(load.endpoint(port), recipient, users, firstUser, min, max, from, load.seed,
            load.minSize, load.maxSize, load.pool, load.settings(connections));
        LmtpBench bench = new LmtpBench(config, System.err);
        Report report = bench.run();
        return load.finish(report, System.out);
    }
}
