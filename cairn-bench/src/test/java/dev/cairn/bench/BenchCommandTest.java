// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `cairn bench` runs standalone and as a subcommand of a root that inherits its help options (as `cairn` does). */
class BenchCommandTest {

    @Command(name = "cairn", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        subcommands = BenchCommand.class)
    static final class Root implements Runnable {
        @Override
        public void run() {}
    }

    @Test
    void helpWorksStandaloneAndUnderAnInheritingRoot() {
        assertThat(help(new CommandLine(new BenchCommand()), "imap", "--help")).contains("--clients", "--mix", "--json");
        assertThat(help(new CommandLine(new Root()), "bench", "lmtp", "--help")).contains("--connections", "--recipients");
        assertThat(help(new CommandLine(new Root()), "bench", "--help")).contains("imap", "lmtp");
    }

    @Test
    void badOptionsAreUsageErrors() {
        CommandLine line = new CommandLine(new BenchCommand());
        line.setErr(new PrintWriter(new StringWriter()));
        assertThat(line.execute("imap", "--clients")).isEqualTo(2);
    }

    @Test
    void durationsAcceptUnits() {
        var converter = new LoadOptions.DurationConverter();
        assertThat(converter.convert("30s").toMillis()).isEqualTo(30_000);
        assertThat(converter.convert("2m").toSeconds()).isEqualTo(120);
        assertThat(converter.convert("250ms").toMillis()).isEqualTo(250);
        assertThat(converter.convert("1.5").toMillis()).isEqualTo(1500);
    }

    private static String help(CommandLine line, String... args) {
        StringWriter out = new StringWriter();
        line.setOut(new PrintWriter(out));
        assertThat(line.execute(args)).isZero();
        return out.toString();
    }
}
