// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.protocol.testing.ExternalProgram;
import dev.cairn.server.cli.CliRun;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The `cairn` command run as a user who may not read the data directory (root made it, owner
 * only; the command runs as nobody): one line that says so, not a stack trace or "no reason".
 * Root reads everything, so this is the one way to meet the error; it needs root to switch users.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CliAsAnotherUserIT {
    @TempDir Path dir;
    Path runuser;
    List<String> classPath;

    @BeforeEach
    void asNobody() throws Exception {
        runuser = ExternalProgram.require("runuser");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && "true".equals(System.getenv("CI"))) throw new AssertionError("CliAsAnotherUserIT needs root to run as nobody");
        assumeTrue(root, "switching to user nobody needs root");
        Path target = Readme.root().resolve("cairn-server/target");
        // nobody must read the jars: where the clone is not readable by others, a readable copy.
        if (ExternalProgram.run(List.of(runuser.toString(), "-u", "nobody", "--", "test", "-r",
                target.resolve("cairn-server.jar").toString()), Duration.ofSeconds(30)).exit() != 0) {
            Path copy = Files.createTempDirectory("cairn-jars-");
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectory(copy.resolve("lib"));
            Files.copy(target.resolve("cairn-server.jar"), copy.resolve("cairn-server.jar"));
            try (Stream<Path> libs = Files.list(target.resolve("lib"))) {
                for (Path lib : libs.toList()) {
                    Files.copy(lib, copy.resolve("lib").resolve(lib.getFileName()));
                }
            }
            target = copy;
        }
        classPath = List.of("-cp", target.resolve("cairn-server.jar") + ":" + target.resolve("lib") + "/*");
    }

    private ExternalProgram.Result cairnAsNobody(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(runuser.toString(), "-u", "nobody", "--",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(classPath);
        command.add("dev.cairn.server.Main");
        command.addAll(List.of(args));
        return ExternalProgram.run(command, Duration.ofSeconds(90));
    }

    @Test
    void aDataDirectoryTheUserMayNotReadIsOneLineThatSaysWhoRunsAndWhoOwns() throws Exception {
        Path data = dir.resolve("data");
        CliRun add = CliRun.run("", "user", "add", "alice", "--no-password", "--data", data.toString());
        assertThat(add.status()).as(add.err()).isZero();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(Files.getPosixFilePermissions(data)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        String denied = "cairn: " + data + ": permission denied (cairn runs as nobody; it belongs to root)\n";
        for (List<String> command : List.of(List.of("user", "list"), List.of("serve", "--imap", "127.0.0.1:0", "--pop3", "off",
                "--lmtp", "127.0.0.1:0", "--admin", "off"), List.of("check"), List.of("user", "add", "bob", "--no-password"))) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--data", data.toString()));
            ExternalProgram.Result r = cairnAsNobody(args.toArray(String[]::new));
            assertThat(r.exit()).as(command + ": " + r.all()).isEqualTo(1);
            // serve logs to standard output; nothing started, so nothing was logged about stopping.
            assertThat(r.stderr()).as(command + ": " + r.all()).isEqualTo(denied);
            assertThat(r.stdout()).as(command.toString()).doesNotContain("stopping").doesNotContain("Exception");
        }
    }
}
