// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.util.Random;

/**
 * Seeds of randomized tests: a fresh one each run unless {@code -Dcairn.seed=N} names it, and
 * always printed (into the test's output file, target/failsafe-reports or surefire-reports), so a
 * failure found by chance can be run again: {@code ./mvnw verify -Dit.test=CrashIT -Dcairn.seed=N}.
 */
public final class Seeds {
    /** The system property that reruns a seed. */
    public static final String PROPERTY = "cairn.seed";

    private Seeds() {}

    /** The seed for {@code test} (named in the printed line), from {@code -Dcairn.seed} or else new. */
    public static long seed(String test) {
        String given = System.getProperty(PROPERTY);
        long seed = given != null && !given.isBlank() ? Long.parseLong(given.strip()) : new Random().nextLong();
        System.out.println(test + ": seed " + seed + " (rerun with -D" + PROPERTY + "=" + seed + ")");
        return seed;
    }

    /** A {@link Random} from {@link #seed}. */
    public static Random random(String test) {
        return new Random(seed(test));
    }
}
