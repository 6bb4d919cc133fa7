// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The folders a new account gets are the node's {@code [store] default_folders}, as an IMAP client lists them. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DefaultFoldersIT {
    private static final Pattern LIST = Pattern.compile("^\\* (LIST|LSUB) \\(([^)]*)\\) \"/\" (.+)$");

    @TempDir Path dir;

    @Test
    void aNewAccountGetsTheConfiguredFoldersWithTheirSpecialUseAndNoOthers() throws Exception {
        Path file = dir.resolve("node.toml");
        Files.writeString(file, """
                data = "%s"
                [store]
                sync = false
                default_folders = [
                  { name = "Sent Items", special_use = "sent" },
                  { name = "Lists/Work" },
                  { name = "Deleted", special_use = '\\Trash' },
                ]
                [imap]
                listen = "127.0.0.1:0"
                [pop3]
                enabled = false
                [lmtp]
                enabled = false
                [admin]
                enabled = false
                """.formatted(dir.resolve("data").toString().replace("\\", "/")));
        assertThat(Main.run(new ByteArrayInputStream("pw-of-the-test\n".getBytes(StandardCharsets.UTF_8)),
                "user", "add", "alice", "--password-stdin", "--config", file.toString())).isZero();
        try (Node node = Node.start(ConfigLoader.load(file), ProtocolListeners.builtIn())) {
            List<String> lines = ServeIT.imap(node.address("imap"), "LOGIN alice pw-of-the-test", "LIST \"\" \"*\"",
                    "LSUB \"\" \"*\"", "LOGOUT");
            Map<String, String> listed = folders(lines, "LIST"), subscribed = folders(lines, "LSUB");
            assertThat(listed.keySet()).as(String.join("\n", lines))
                    .containsExactlyInAnyOrder("INBOX", "Sent Items", "Lists", "Lists/Work", "Deleted");
            assertThat(listed.get("Sent Items")).contains("\\Sent");
            assertThat(listed.get("Deleted")).contains("\\Trash");
            for (String plain : List.of("INBOX", "Lists", "Lists/Work")) {
                assertThat(listed.get(plain)).as(plain).doesNotContain("\\Sent", "\\Trash", "\\Drafts", "\\Junk", "\\Archive");
            }
            // Each listed folder is subscribed; "Lists" was made only as the parent of one.
            assertThat(subscribed.entrySet().stream().filter(e -> !e.getValue().contains("\\Noselect")).map(Map.Entry::getKey))
                    .containsExactlyInAnyOrder("INBOX", "Sent Items", "Lists/Work", "Deleted");
        }
    }

    /** Name to attributes, of the LIST or LSUB lines. */
    private static Map<String, String> folders(List<String> lines, String command) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : lines) {
            Matcher m = LIST.matcher(line);
            if (m.matches() && m.group(1).equals(command)) {
                String name = m.group(3);
                out.put(name.startsWith("\"") ? name.substring(1, name.length() - 1) : name, m.group(2));
            }
        }
        return out;
    }
}
