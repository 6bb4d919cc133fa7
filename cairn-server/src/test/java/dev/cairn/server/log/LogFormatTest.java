// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's logback.xml (issue 17), in a JVM of its own as a node starts it: every text line
 * starts with date, time and zone offset (ISO 8601), and CAIRN_LOG_FORMAT=json gives one JSON
 * object per line.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LogFormatTest {
    /** Run in the child JVM: one INFO line through SLF4J. */
    public static void main(String[] args) {
        org.slf4j.LoggerFactory.getLogger("dev.cairn.server.Node").info("imap: listening on {}", "127.0.0.1:143");
    }

    /** What the server's logback.xml prints for one INFO line, with the given format (null: default). */
    private static String logOneLine(String format) throws Exception {
        Path config = Path.of(LogFormatTest.class.getResource("/logback.xml").toURI());
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), "-Dlogback.configurationFile=" + config));
        command.add(LogFormatTest.class.getName());
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("CAIRN_LOG_LEVEL");
        if (format == null) pb.environment().remove("CAIRN_LOG_FORMAT");
        else pb.environment().put("CAIRN_LOG_FORMAT", format);
        Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test void aTextLineStartsWithDateTimeAndZoneOffset() throws Exception {
        String line = logOneLine(null);
        assertThat(line).endsWith(" INFO  Node: imap: listening on 127.0.0.1:143\n");
        // Parses as an ISO 8601 date-time with an offset (e.g. 2026-12-06T16:51:13.123Z or +01:00).
        assertThat(OffsetDateTime.parse(line.substring(0, line.indexOf(' ')))).isNotNull();
    }

    @Test void jsonGivesOneObjectPerLine() throws Exception {
        String line = logOneLine("json");
        assertThat(line.lines().toList()).hasSize(1);
        assertThat(line).startsWith("{").endsWith("}\n").contains("\"level\":\"INFO\"")
                .contains("\"loggerName\":\"dev.cairn.server.Node\"")
                .contains("\"formattedMessage\":\"imap: listening on 127.0.0.1:143\"")
                .contains("\"timestamp\":");
    }
}
