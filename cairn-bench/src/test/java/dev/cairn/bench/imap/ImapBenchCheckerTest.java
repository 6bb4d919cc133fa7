// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.bench.Endpoint;
import dev.cairn.bench.LoadRun;
import dev.cairn.bench.Report;
import java.io.PrintStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The bench against a fake server, correct or broken on purpose: it must report exactly the breakage. */
@org.junit.jupiter.api.Timeout(120)
class ImapBenchCheckerTest {

    @Test
    void aCorrectServerGivesNoErrors() throws Exception {
        Report report = runAgainst(FakeImapServer.Fault.NONE);
        assertThat(report.errors()).isEmpty();
        assertThat(report.totalOps()).isGreaterThanOrEqualTo(800);
        for (String kind : List.of("login", "select", "fetch-flags", "fetch-body", "store", "expunge", "append", "logout")) {
            assertThat(report.kind(kind)).as(kind).isNotNull();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "REUSE_UID, uid-reused",
        "DROP_FLAG, flag-lost",
        "FORGET_FLAG, flags-changed",
        "EXISTS_BACKWARDS, exists-backwards",
        "CORRUPT_BODY, body-mismatch",
    })
    void aBrokenServerIsCaught(FakeImapServer.Fault fault, String expected) throws Exception {
        Report report = runAgainst(fault);
        assertThat(report.errors()).as(report.errorSamples().toString()).containsKey(expected);
        assertThat(report.totalErrors()).isPositive();
    }

    private static Report runAgainst(FakeImapServer.Fault fault) throws Exception {
        try (FakeImapServer server = new FakeImapServer(fault)) {
            // A count of operations, not a duration: the machine may be slow, the test must not be flaky.
            var load = new LoadRun.Settings(2, Duration.ZERO, Duration.ZERO, 800, false, List.of());
            var config = new ImapBench.Config(Endpoint.plain("127.0.0.1", server.port()), "u%d", "pass", 3, 1, 8, 5,
                32 * 1024, 30, ImapMix.defaults(), load);
            return new ImapBench(config, new PrintStream(OutputStream.nullOutputStream())).run();
        }
    }
}
