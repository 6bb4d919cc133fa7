// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import dev.cairn.bench.fairness.FairnessBench;
import dev.cairn.bench.guess.GuessingBench;
import dev.cairn.bench.idle.IdleConnectionsBench;
import dev.cairn.bench.imap.ImapBenchCommand;
import dev.cairn.bench.lmtp.LmtpBenchCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cairn bench}: load generators that check what they get back. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Load generators for any IMAP or LMTP server, checking every response.",
    subcommands = {ImapBenchCommand.class, LmtpBenchCommand.class, IdleConnectionsBench.class, GuessingBench.class,
        FairnessBench.class})
public final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
