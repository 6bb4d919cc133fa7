// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.store.CheckReport;

/** The checker's report in plain words, the same from the CLI and from the admin endpoint. */
public final class CheckReports {
    private CheckReports() {}

    public static String format(CheckReport report, boolean repair) {
        StringBuilder b = new StringBuilder();
        for (CheckReport.Problem p : report.problems()) {
            b.append(p.repaired() ? "repaired: " : (repair ? "NOT repaired: " : "problem: "))
                    .append(p.user()).append(": ").append(p.what()).append('\n');
        }
        long remaining = report.problems().stream().filter(p -> !p.repaired()).count();
        long repaired = report.problems().size() - remaining;
        b.append("checked ").append(report.usersChecked()).append(report.usersChecked() == 1 ? " user, " : " users, ")
                .append(report.messagesChecked()).append(report.messagesChecked() == 1 ? " message: " : " messages: ");
        if (report.problems().isEmpty()) {
            b.append("no problems");
        } else {
            b.append(remaining).append(remaining == 1 ? " problem remains" : " problems remain");
            if (repaired > 0) {
                b.append(", ").append(repaired).append(" repaired");
            }
            if (remaining > 0 && !repair) {
                b.append(" (run with --repair to repair)");
            }
        }
        return b.append('\n').toString();
    }
}
