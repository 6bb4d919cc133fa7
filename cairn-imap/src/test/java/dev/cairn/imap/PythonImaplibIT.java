// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python's imaplib, a real client, drives every command over real sockets (STARTTLS and implicit TLS too). */
class PythonImaplibIT {
    @TempDir Path dir;

    @Test void everyCommandThroughImaplib() throws Exception {
        ExternalPrograms.require("python3");
        Path script = dir.resolve("imaplib_client.py");
        try (var in = getClass().getResourceAsStream("/imaplib_client.py")) {
            Files.copy(in, script);
        }
        try (TestImapServer server = new TestImapServer(dir.resolve("server"))) {
            Process p = new ProcessBuilder("python3", script.toString(), Integer.toString(server.port()),
                    Integer.toString(server.tlsPort()), "py").redirectErrorStream(true).start();
            boolean done = p.waitFor(60, TimeUnit.SECONDS);
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!done) p.destroyForcibly();
            assertThat(done).as(output).isTrue();
            assertThat(p.exitValue()).as(output).isZero();
            assertThat(output).contains("all commands answered as expected");
        }
    }
}
