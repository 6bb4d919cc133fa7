// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Messages built to hurt whoever reads them (issue 15): a sender's message must not make the
 * owner's SEARCH, THREAD or FETCH fail or hang, and must not end the session.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileMessagesIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    /** A session of its own user with the given messages appended to INBOX and INBOX selected. */
    private static Conversation mailboxWith(String user, String... messages) throws Exception {
        Conversation c = new Conversation(server.port());
        c.run("C: a LOGIN " + user + " pw-" + user + "\nS~ a OK .*");
        for (String m : messages) {
            byte[] bytes = m.getBytes(StandardCharsets.UTF_8);
            c.send(("p APPEND INBOX {" + bytes.length + "+}\r\n").getBytes(StandardCharsets.US_ASCII));
            c.send(bytes);
            c.run("C: \nS~ p OK \\[APPENDUID .*");
        }
        c.run("C: s SELECT INBOX\nS* s OK .*");
        return c;
    }

    @Test void referencesOfTwentyThousandIdsThreadWithoutDyingOrStalling() throws Exception {
        StringBuilder refs = new StringBuilder("References:");
        for (int i = 1; i <= 20_000; i++) {
            refs.append(" <r").append(i).append("@x>");
            if (i % 10 == 0) refs.append("\r\n");
        }
        String huge = "Message-ID: <m1@x>\r\nSubject: long thread\r\n" + refs + "\r\n\r\nbody\r\n";
        String first = "Message-ID: <r1@x>\r\nSubject: first\r\n\r\nhi\r\n";
        try (Conversation c = mailboxWith("refs", huge, first)) {
            for (String tag : new String[] {"t1", "t2"}) {
                c.run("""
                        C: %s THREAD REFERENCES UTF-8 ALL
                        S: * THREAD (2 1)
                        S: %s OK THREAD completed
                        """.formatted(tag, tag));
            }
            c.run("C: n NOOP\nS: n OK NOOP completed");
        }
    }

    private static final String BROKEN_BASE64 = """
            Subject: broken\r
            Content-Type: multipart/mixed; boundary="b"\r
            \r
            --b\r
            Content-Type: text/plain; charset=us-ascii\r
            Content-Transfer-Encoding: base64\r
            \r
            QUJD=RUZH\r
            SUpL!!\r
            --b\r
            Content-Type: text/plain\r
            \r
            plain part\r
            --b--\r
            """;

    @Test void brokenBase64IsSearchedAsFarAsItDecodesAndBinaryAnswersUnknownCte() throws Exception {
        try (Conversation c = mailboxWith("b64", BROKEN_BASE64)) {
            c.run("""
                    C: a SEARCH BODY abcefgijk
                    S: * SEARCH 1
                    S: a OK SEARCH completed
                    C: b SEARCH TEXT "plain part"
                    S: * SEARCH 1
                    S: b OK SEARCH completed
                    C: c SEARCH TEXT nowhere
                    S: * SEARCH
                    S: c OK SEARCH completed
                    C: d FETCH 1 (BINARY[1])
                    S~ d NO \\[UNKNOWN-CTE\\] .*
                    C: e FETCH 1 (BINARY.SIZE[1])
                    S~ e NO \\[UNKNOWN-CTE\\] .*
                    C: f FETCH 1 (BINARY.PEEK[2])
                    S: * 1 FETCH (BINARY[2] {10}
                    S: plain part)
                    S: f OK FETCH completed
                    C: g FETCH 1 (BODY.PEEK[1])
                    S: * 1 FETCH (BODY[1] {17}
                    S: QUJD=RUZH
                    S: SUpL!!)
                    S: g OK FETCH completed
                    """);
        }
    }

    @Test void tenThousandNestedMultipartsAreStoredFetchedAndSearched() throws Exception {
        int depth = 10_000;
        StringBuilder m = new StringBuilder("Subject: deep\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
        for (int i = 0; i < depth; i++) {
            m.append("--b").append(i).append("\r\n");
            if (i + 1 < depth) m.append("Content-Type: multipart/mixed; boundary=\"b").append(i + 1).append("\"\r\n\r\n");
        }
        m.append("Content-Type: text/plain\r\n\r\ndeep down\r\n");
        for (int i = depth - 1; i >= 0; i--) m.append("--b").append(i).append("--\r\n");
        try (Conversation c = mailboxWith("nested", m.toString())) {
            c.run("""
                    C: a FETCH 1 (ENVELOPE BODYSTRUCTURE)
                    S~ \\* 1 FETCH \\(ENVELOPE .* BODYSTRUCTURE \\(.*\\)\\)
                    S: a OK FETCH completed
                    C: b SEARCH TEXT "deep down"
                    S~ \\* SEARCH.*
                    S: b OK SEARCH completed
                    C: c NOOP
                    S: c OK NOOP completed
                    """);
        }
    }

    @Test void aHundredThousandPartsAreStoredFetchedAndSearched() throws Exception {
        StringBuilder m = new StringBuilder("Subject: wide\r\nContent-Type: multipart/mixed; boundary=\"w\"\r\n\r\n");
        for (int i = 0; i < 100_000; i++) m.append("--w\r\nContent-Type: text/plain\r\n\r\npart ").append(i).append("\r\n");
        m.append("--w--\r\n");
        try (Conversation c = mailboxWith("wide", m.toString())) {
            c.run("""
                    C: a FETCH 1 (BODYSTRUCTURE)
                    S~ \\* 1 FETCH \\(BODYSTRUCTURE \\(.*\\)\\)
                    S: a OK FETCH completed
                    C: b SEARCH TEXT "part 17"
                    S: * SEARCH 1
                    S: b OK SEARCH completed
                    C: c SEARCH TEXT nowhere
                    S: * SEARCH
                    S: c OK SEARCH completed
                    C: d NOOP
                    S: d OK NOOP completed
                    """);
        }
    }

    /** "[a] " 2,400 times: the regexes that took the base subject apart overflowed the stack. */
    @Test void aSubjectOfThousandsOfBlobsSortsAndThreads() throws Exception {
        String blobs = "Subject: " + "[a] ".repeat(2_400) + "Re: x\r\n\r\nbody\r\n";
        try (Conversation c = mailboxWith("blobs", blobs, "Subject: x\r\n\r\nother\r\n")) {
            c.run("""
                    C: a SORT (SUBJECT) UTF-8 ALL
                    S: * SORT 1 2
                    S: a OK SORT completed
                    C: b THREAD ORDEREDSUBJECT UTF-8 ALL
                    S~ \\* THREAD \\([12] [12]\\)
                    S: b OK THREAD completed
                    C: c THREAD REFERENCES UTF-8 ALL
                    S: * THREAD (2 1)
                    S: c OK THREAD completed
                    """);
        }
    }

    /**
     * Headers of almost-encoded-words: mime4j's regex decoder took 20 s for 1.3 MB of "=?a?q?x"
     * with no "?=" after it, uninterruptibly; with one far after it, it took everything between
     * for one word and left the real word there encoded.
     */
    @Test void headersOfAlmostEncodedWordsAreSearchedInLinearTime() throws Exception {
        String junk = "X-Junk: " + "=?a?q?x".repeat(300_000) + "\r\n";
        String subject = "Subject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\n";
        try (Conversation c = mailboxWith("words", subject + junk + "\r\nbody\r\n", junk + subject + "\r\nbody\r\n")) {
            c.run("""
                    C: a SEARCH TEXT "nowhere"
                    S: * SEARCH
                    S: a OK SEARCH completed
                    C: b SEARCH HEADER SUBJECT "grüße"
                    S: * SEARCH 1 2
                    S: b OK SEARCH completed
                    """);
        }
    }
}
