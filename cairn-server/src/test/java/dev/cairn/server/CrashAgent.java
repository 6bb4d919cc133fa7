// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Java agent for {@link NodeCrashIT}, loaded into a real `cairn serve` with -javaagent (test
 * code only: the server has no way to be told to break). Once the node serves (its run file
 * exists), a thread of its own breaks the JVM: {@code oom} fills the heap, {@code internal-error}
 * dies of an InternalError no one catches. Arguments: {@code MODE,DATA_DIR}.
 */
public final class CrashAgent {
    private CrashAgent() {}

    public static void premain(String args) {
        String[] a = args.split(",", 2);
        String mode = a[0];
        Path runFile = Path.of(a[1]).resolve("server.properties");
        Thread.ofPlatform().name("crash-agent").daemon(true).start(() -> {
            try {
                while (!Files.exists(runFile)) Thread.sleep(50);
                Thread.sleep(200); // the node logs that it serves
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("crash-agent: " + mode);
            switch (mode) {
                case "oom" -> {
                    List<long[]> hog = new ArrayList<>();
                    while (true) hog.add(new long[1 << 20]);
                }
                case "internal-error" -> throw new InternalError("injected by the crash agent");
                default -> throw new IllegalArgumentException(mode);
            }
        });
    }
}
