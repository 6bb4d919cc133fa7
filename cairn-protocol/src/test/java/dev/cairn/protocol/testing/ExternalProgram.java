// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs real peers (python3, swaks, postfix, fetchmail) as subprocesses in interoperability tests. */
public final class ExternalProgram {
    private ExternalProgram() {}

    public record Result(int exit, String stdout, String stderr) {
        public String all() { return stdout + stderr; }
    }

    /** The program's path. Missing: the test is skipped, except in CI (CI=true) where it fails. */
    public static Path require(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            for (String d : List.of(dir, "/usr/sbin", "/sbin")) {
                Path p = Path.of(d, program);
                if (Files.isExecutable(p)) return p;
            }
        }
        if ("true".equals(System.getenv("CI"))) throw new AssertionError(program + " is not installed (CI must install it: .ci/run)");
        assumeTrue(false, program + " is not installed");
        return null;
    }

    public static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        return run(command, Map.of(), timeout);
    }

    public static Result run(List<String> command, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process p = builder.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command + "\n" + out.getNow("") + err.getNow(""));
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
