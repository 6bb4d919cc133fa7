// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.store.CheckReport;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CheckReportsTest {
    @Test
    void cleanReport() {
        assertThat(CheckReports.format(new CheckReport(1, 1, List.of()), false))
                .isEqualTo("checked 1 user, 1 message: no problems\n");
    }

    @Test
    void problemsWithoutRepairSuggestIt() {
        CheckReport report = new CheckReport(3, 20, List.of(
                new CheckReport.Problem("alice", "INBOX: UIDNEXT 5 is not above the highest UID 7", false)));
        assertThat(report.clean()).isFalse();
        assertThat(CheckReports.format(report, false)).isEqualTo("""
                problem: alice: INBOX: UIDNEXT 5 is not above the highest UID 7
                checked 3 users, 20 messages: 1 problem remains (run with --repair to repair)
                """);
    }

    @Test
    void repairSaysWhatWasAndWasNotRepaired() {
        CheckReport report = new CheckReport(2, 9, List.of(
                new CheckReport.Problem("alice", "quota usage 10 != 12", true),
                new CheckReport.Problem("bob", "body missing", false),
                new CheckReport.Problem("bob", "view stale", false)));
        assertThat(CheckReports.format(report, true)).isEqualTo("""
                repaired: alice: quota usage 10 != 12
                NOT repaired: bob: body missing
                NOT repaired: bob: view stale
                checked 2 users, 9 messages: 2 problems remain, 1 repaired
                """);
    }
}
