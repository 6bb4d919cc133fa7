// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class FailureLogTest {
    @Test void aFloodOfOneKindIsOneLineAWindowAndTheNextLineCarriesTheCount() throws Exception {
        try (LogCapture logs = new LogCapture()) {
            FailureLog failures = new FailureLog(LoggerFactory.getLogger(FailureLogTest.class), Duration.ofMillis(300));
            for (int i = 0; i < 1000; i++) failures.warn("replication: bad frame", "/10.0.0." + (i % 250) + ":4000", "frame length " + i);
            failures.warn("replication: failed authentication", "/10.0.0.9:4000", "master x");
            assertThat(logs.warnings()).containsExactly(
                    "replication: bad frame (/10.0.0.0:4000): frame length 0",
                    "replication: failed authentication (/10.0.0.9:4000): master x");
            Thread.sleep(350); // the window is over: the next one is logged with the count of those in between
            failures.warn("replication: bad frame", "/10.0.0.7:4000", "frame length 5");
            assertThat(logs.warnings()).last().isEqualTo("replication: bad frame (/10.0.0.7:4000): frame length 5 (999 more like it since the last line, not logged)");
            failures.warn("replication: bad frame", "/10.0.0.8:4000", "frame length 6");
            failures.flush();
            assertThat(logs.warnings()).last().isEqualTo("replication: bad frame: 1 more like it not logged");
        }
    }

    @Test void whatAPeerSentCannotForgeLogLines() {
        assertThat(FailureLog.printable("store s1\n12:00:00 INFO forged\r")).isEqualTo("store s1?12:00:00 INFO forged?");
        assertThat(FailureLog.printable("x".repeat(5000))).hasSize(303);
    }
}
