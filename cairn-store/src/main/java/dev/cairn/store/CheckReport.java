// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.List;

/** What `cairn check` found: each problem in plain words, and whether it was repaired. */
public record CheckReport(int usersChecked, long messagesChecked, List<Problem> problems) {
    public record Problem(String user, String what, boolean repaired) {}

    public boolean clean() { return problems.stream().allMatch(Problem::repaired); }
}
