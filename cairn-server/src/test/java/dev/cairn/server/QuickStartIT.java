// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.protocol.testing.ExternalProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The README's quick start, as a newcomer follows it: the first block ({@code ./cairn serve}) in
 * one terminal until it says "serving", then the second block line by line in another, in a
 * fresh directory. It runs in a network namespace of its own (unshare), so the default ports the
 * README names (1143, 2424, 8080) are free whatever else runs on the machine.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class QuickStartIT {
    @TempDir Path dir;

    @Test
    void theReadmesQuickStartDeliversAMessageThatImapReads() throws Exception {
        ExternalProgram.require("swaks");
        ExternalProgram.require("python3");
        Path unshare = ExternalProgram.require("unshare");
        Path ip = ExternalProgram.require("ip");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && "true".equals(System.getenv("CI"))) throw new AssertionError("QuickStartIT needs root for its network namespace");
        assumeTrue(root, "a network namespace (unshare --net) needs root");

        List<Readme.Block> blocks = Readme.blocks(Readme.read().section("## Quick start"));
        assertThat(blocks.size()).as("README quick start: the serve block, the client block, the Postfix blocks").isGreaterThanOrEqualTo(2);
        Readme.Block serve = blocks.get(0);
        Readme.Block client = blocks.get(1);
        assertThat(serve.lines()).as("the first block starts the node").containsExactly("./cairn serve");
        Matcher subject = Pattern.compile("--header 'Subject: ([^']+)'").matcher(client.body());
        assertThat(subject.find()).as("the client block sends a message with a Subject").isTrue();

        // "In the repository": ./cairn is the launcher; the data directory is ./data of this fresh directory.
        Path work = Files.createDirectory(dir.resolve("repo"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path cairn = work.resolve("cairn");
        Files.writeString(cairn, "#!/bin/sh\nexec '" + Readme.root().resolve("cairn") + "' \"$@\"\n");
        Files.setPosixFilePermissions(cairn, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(work.resolve("client.sh"), client.body());
        Files.writeString(work.resolve("run.sh"), String.join("\n",
                "set -u",
                "'" + ip + "' link set lo up",
                "cd '" + work + "'",
                serve.body().strip() + " > serve.log 2>&1 &",
                "server=$!",
                // The newcomer waits for the line that says the node serves.
                "for i in $(seq 1 600); do",
                "  grep -q 'serving ' serve.log && break",
                "  kill -0 $server 2>/dev/null || { echo 'serve ended:'; cat serve.log; exit 97; }",
                "  sleep 0.5",
                "done",
                "grep -q 'serving ' serve.log || { echo 'serve did not start:'; cat serve.log; kill $server; exit 98; }",
                "bash -e -o pipefail client.sh",
                "status=$?",
                "kill -TERM $server",
                "wait $server",
                "echo \"serve exit status $?\"",
                "exit $status",
                ""));

        ExternalProgram.Result run = ExternalProgram.run(List.of(unshare.toString(), "--net", "bash", work.resolve("run.sh").toString()),
                Duration.ofMinutes(9));
        String log = Files.exists(work.resolve("serve.log")) ? Files.readString(work.resolve("serve.log")) : "";
        String all = run.all() + "\n--- serve.log ---\n" + log;
        assertThat(run.exit()).as(all).isZero();
        // user add said where alice receives mail; swaks was answered 250; IMAP read the message back.
        assertThat(run.stdout()).as(all).contains("added alice <alice@example.org>")
                .contains("receives mail as: alice@example.org, alice, ")
                .contains("250 2.0.0 <alice@example.org> Saved in INBOX as UID 1")
                .contains("Subject: " + subject.group(1))
                .containsPattern("Received: from \\S+ \\(\\[127\\.0\\.0\\.1]\\)\r?\n\\s+by \\S+ \\(Cairn\\) with LMTP id \\w+")
                .contains("serve exit status 0");
        assertThat(work.resolve("data/directory.db")).exists();
        assertThat(log).contains("store: closed cleanly").doesNotContain("Exception");
    }
}
