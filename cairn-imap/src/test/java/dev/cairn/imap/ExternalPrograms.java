// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import org.junit.jupiter.api.Assumptions;

/** External programs for interop tests: skipped when missing, except under CI where that fails. */
final class ExternalPrograms {
    private ExternalPrograms() {}

    static void require(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, program).canExecute()) return;
        }
        if ("true".equals(System.getenv("CI"))) fail(program + " is missing (CI installs it: see .ci/run)");
        Assumptions.abort(program + " is not installed");
    }
}
