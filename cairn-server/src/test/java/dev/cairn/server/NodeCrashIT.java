// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real `./cairn serve` whose JVM breaks (the {@link CrashAgent} breaks it from inside once the
 * node serves) ends with exit status 3 for its service manager to restart it, instead of
 * lingering with some of its threads dead.
 */
class NodeCrashIT {
    @TempDir Path dir;

    /** The agent's class in a jar of its own, as -javaagent wants it. */
    private Path agentJar() throws Exception {
        Path jar = dir.resolve("crash-agent.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), CrashAgent.class.getName());
        String entry = CrashAgent.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.putNextEntry(new JarEntry(entry));
            out.write(Files.readAllBytes(testClasses().resolve(entry)));
            out.closeEntry();
        }
        return jar;
    }

    private static Path testClasses() throws URISyntaxException {
        return Path.of(CrashAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private record Ended(boolean exited, int status, List<String> output) {}

    private Ended serveAndBreak(String mode) throws Exception {
        Path data = dir.resolve("data-" + mode);
        Path root = LauncherIT.repositoryRoot();
        ProcessBuilder pb = new ProcessBuilder(root.resolve("cairn").toString(), "serve", "--data", data.toString(),
                "--imap", "127.0.0.1:0", "--pop3", "127.0.0.1:0", "--lmtp", "127.0.0.1:0", "--admin", "127.0.0.1:0")
                .directory(root.toFile())
                .redirectErrorStream(true);
        pb.environment().put("CAIRN_JAVA_OPTS", "-Xmx128m -javaagent:" + agentJar() + "=" + mode + "," + data);
        Process process = pb.start();
        List<String> output = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> broken = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    if (line.startsWith("crash-agent: ")) broken.complete(null);
                }
            } catch (Exception e) {
                // the process ended
            }
            broken.complete(null);
        });
        try {
            broken.get(180, TimeUnit.SECONDS); // a first run of the launcher builds
            boolean exited = process.waitFor(30, TimeUnit.SECONDS);
            reader.join(5_000);
            return new Ended(exited, exited ? process.exitValue() : -1, output);
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    @Timeout(300)
    void aNodeOutOfMemoryExitsWithStatus3InsteadOfLingering() throws Exception {
        Ended ended = serveAndBreak("oom");
        assertThat(ended.output()).anyMatch(l -> l.contains("admin: listening on")).contains("crash-agent: oom");
        assertThat(ended.exited()).as("the node ended by itself; output:%n%s", String.join("\n", ended.output())).isTrue();
        assertThat(ended.status()).isEqualTo(FatalErrors.EXIT_STATUS);
        assertThat(ended.output()).anyMatch(l -> l.contains("OutOfMemoryError"));
    }

    @Test
    @Timeout(300)
    void aVirtualMachineErrorNoCodeCaughtHaltsTheNodeWithStatus3() throws Exception {
        Ended ended = serveAndBreak("internal-error");
        assertThat(ended.exited()).as("the node ended by itself; output:%n%s", String.join("\n", ended.output())).isTrue();
        assertThat(ended.status()).isEqualTo(FatalErrors.EXIT_STATUS);
        assertThat(ended.output()).contains("cairn: java.lang.InternalError: injected by the crash agent in thread crash-agent; exiting with status 3");
    }
}
