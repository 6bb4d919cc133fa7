// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands built to cost the server as much as possible (issue 15): each gets a tagged answer
 * at once, the session goes on, and nothing stored changes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileCommandsIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static final int NESTING = ImapConfig.Limits.DEFAULT.maxNesting();

    @Test void aPreAuthSearchOfSixteenThousandNotsIsRefusedCheaplyAndTheSessionGoesOn() throws Exception {
        try (Conversation c = new Conversation(server.port())) {
            c.send("a SEARCH " + "NOT ".repeat(16_000) + "ALL\r\n");
            c.run("""
                    S~ a BAD .*
                    C: b NOOP
                    S: b OK NOOP completed
                    C: c LOGIN nots pw-nots
                    S~ c OK .*
                    """);
        }
    }

    @Test void notAndOrNestingCountsAgainstTheDepthLimit() throws Exception {
        try (Conversation c = new Conversation(server.port())) {
            c.run("""
                    C: a LOGIN nest pw-nest
                    S~ a OK .*
                    C: b SELECT INBOX
                    S* b OK .*
                    """);
            c.send("c SEARCH " + "NOT ".repeat(NESTING - 1) + "ALL\r\n");
            c.run("S: * SEARCH\nS: c OK SEARCH completed");
            c.send("d SEARCH " + "NOT ".repeat(NESTING + 1) + "ALL\r\n");
            c.run("S: d BAD [LIMIT] Search keys nested too deep");
            c.send("e SEARCH " + "OR ALL ".repeat(NESTING - 1) + "ALL\r\n");
            c.run("S: * SEARCH\nS: e OK SEARCH completed");
            c.send("f SEARCH " + "OR ALL ".repeat(NESTING + 1) + "ALL\r\n");
            c.run("S: f BAD [LIMIT] Search keys nested too deep");
            c.send("g SEARCH " + "NOT ".repeat(16_000) + "ALL\r\n");
            c.run("""
                    S: g BAD [LIMIT] Search keys nested too deep
                    C: h NOOP
                    S: h OK NOOP completed
                    """);
        }
    }

    @Test void listWithManyWildcardsOverLongNamesAnswersAtOnce() throws Exception {
        String longName = "a".repeat(1000);
        String fortyName = "a".repeat(40);
        try (Conversation c = new Conversation(server.port())) {
            c.run("""
                    C: a LOGIN globs pw-globs
                    S~ a OK .*
                    C: b CREATE %s
                    S~ b OK .*
                    C: c CREATE %s
                    S~ c OK .*
                    C: d LIST "" "******b"
                    S: d OK LIST completed
                    C: e LIST "" "*************b"
                    S: e OK LIST completed
                    C: f LIST "" "%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%b"
                    S: f OK LIST completed
                    C: g LIST "" "*a*a*%%a%%*a"
                    S: * LIST (\\HasNoChildren) "/" "%s"
                    S: * LIST (\\HasNoChildren) "/" "%s"
                    S: g OK LIST completed
                    """.formatted(longName, fortyName, fortyName, longName));
            c.send("h LIST \"\" \"" + "*a".repeat(2000) + "\"\r\n");
            c.run("S: h OK LIST completed");
        }
    }

    /** A command that needs more CPU than its budget is stopped at a checkpoint: NO [LIMIT], and the session goes on. */
    @Test void aSearchPastItsCpuBudgetAnswersLimitAndTheSessionGoesOn() throws Exception {
        try (TestImapServer tight = new TestImapServer(dir.resolve("tight"), new ImapConfig.HeavyWork(1, 2, Duration.ofMillis(20), 4));
             Conversation c = new Conversation(tight.port())) {
            c.run("C: a LOGIN budget pw-budget\nS~ a OK .*");
            byte[] message = ("Subject: big\r\n\r\n" + ("lorem ipsum dolor sit amet ".repeat(3) + "\r\n").repeat(2_400))
                    .getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 60; i++) {
                c.send(("p APPEND INBOX {" + message.length + "+}\r\n").getBytes(StandardCharsets.US_ASCII));
                c.send(message);
                c.run("C: \nS~ p OK \\[APPENDUID .*");
            }
            c.run("""
                    C: b SELECT INBOX
                    S* b OK .*
                    C: c SEARCH TEXT "not in there"
                    S~ c NO \\[LIMIT\\] .*
                    C: d SEARCH 1:3 SUBJECT big
                    S: * SEARCH 1 2 3
                    S: d OK SEARCH completed
                    """);
        }
    }
}
