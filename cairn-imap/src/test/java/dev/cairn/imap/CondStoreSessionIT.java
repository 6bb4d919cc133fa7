// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a CONDSTORE/QRESYNC session is told and when (RFC 7162 §3.1, §3.2), and MOVE within one mailbox. */
class CondStoreSessionIT {
    @TempDir static Path dir;
    static TestImapServer server;
    static final AtomicInteger users = new AtomicInteger();

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static final Pattern HIGHESTMODSEQ = Pattern.compile("\\* OK \\[HIGHESTMODSEQ (\\d+)\\] .*");

    private static long highestModSeq(List<String> lines) {
        for (String line : lines) {
            Matcher m = HIGHESTMODSEQ.matcher(line);
            if (m.matches()) return Long.parseLong(m.group(1));
        }
        return -1;
    }

    private static String user() { return "cs" + users.incrementAndGet(); }

    /**
     * RFC 7162 §3.1: "A first CONDSTORE enabling command executed in the session with a mailbox
     * selected MUST cause the server to return HIGHESTMODSEQ for the mailbox"; the next one does not.
     */
    @ParameterizedTest @Timeout(30)
    @ValueSource(strings = {"FETCH 1 (MODSEQ)", "UID FETCH 1 (FLAGS) (CHANGEDSINCE 1)", "SEARCH MODSEQ 1",
            "UID SEARCH OR MODSEQ 1 ALL", "STORE 1 (UNCHANGEDSINCE 1000000) +FLAGS (\\Seen)",
            "STATUS INBOX (HIGHESTMODSEQ)", "ENABLE CONDSTORE", "ENABLE QRESYNC"})
    void theFirstCondstoreEnablingCommandOnASelectedMailboxIsAnsweredWithItsHighestModSeq(String command) throws Exception {
        try (TestClient a = new TestClient("a", server.port(), user())) {
            a.append("INBOX", "", "one");
            long selected = highestModSeq(a.command("SELECT INBOX"));
            List<String> first = a.command(command);
            assertThat(TestClient.last(first)).contains(" OK ");
            assertThat(highestModSeq(first)).as(a.transcript()).isEqualTo(selected);
            int at = first.indexOf("* OK [HIGHESTMODSEQ " + selected + "] Highest");
            for (int i = 0; i < at; i++) assertThat(first.get(i)).as(a.transcript()).doesNotContain("FETCH");
            assertThat(highestModSeq(a.command(command))).as(a.transcript()).isEqualTo(-1);
            assertThat(highestModSeq(a.command("FETCH 1 (MODSEQ)"))).as(a.transcript()).isEqualTo(-1);
        }
    }

    /** Enabled before anything is selected: SELECT reports HIGHESTMODSEQ, nothing more is due. */
    @Test @Timeout(30)
    void aCondstoreEnablingCommandWithNothingSelectedAddsNothingLater() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), user())) {
            a.append("INBOX", "", "one");
            assertThat(highestModSeq(a.command("STATUS INBOX (HIGHESTMODSEQ)"))).isEqualTo(-1);
            assertThat(highestModSeq(a.command("SELECT INBOX"))).isPositive();
            assertThat(highestModSeq(a.command("FETCH 1 (MODSEQ)"))).as(a.transcript()).isEqualTo(-1);
        }
    }

    /** RFC 7162 §3.1: STATUS (HIGHESTMODSEQ) enables CONDSTORE: another session's change comes with its MODSEQ. */
    @Test @Timeout(30)
    void statusHighestModSeqMakesLaterFetchesCarryModSeq() throws Exception {
        String u = user();
        try (TestClient a = new TestClient("a", server.port(), u); TestClient b = new TestClient("b", server.port(), u)) {
            a.append("INBOX", "", "one");
            a.command("SELECT INBOX");
            a.command("STATUS INBOX (HIGHESTMODSEQ)");
            b.command("SELECT INBOX");
            b.command("STORE 1 +FLAGS.SILENT (\\Flagged)");
            a.conversation.run("""
                    C: x1 NOOP
                    S~ \\* 1 FETCH \\(UID 1 FLAGS \\(\\\\Flagged \\\\Recent\\) MODSEQ \\(\\d+\\)\\)
                    S: x1 OK NOOP completed
                    """);
        }
    }

    /**
     * RFC 7162 §3.2.4: once CONDSTORE is enabled, the FETCH of a FETCH that implicitly sets \Seen
     * carries UID and MODSEQ, and so does what another session is told of it.
     */
    @Test @Timeout(30)
    void aFetchThatSetsSeenSaysUidAndModSeqToItselfAndToOthers() throws Exception {
        String u = user();
        try (TestClient a = new TestClient("a", server.port(), u); TestClient b = new TestClient("b", server.port(), u)) {
            a.append("INBOX", "", "one");
            a.command("SELECT INBOX (CONDSTORE)");
            b.command("SELECT INBOX (CONDSTORE)");
            a.conversation.run("""
                    C: x1 FETCH 1 (BODY[TEXT])
                    S~ \\* 1 FETCH \\(UID 1 FLAGS \\(\\\\Seen \\\\Recent\\) MODSEQ \\(\\d+\\) BODY\\[TEXT\\] \\{5\\}
                    S: one
                    S: )
                    S: x1 OK FETCH completed
                    """);
            b.conversation.run("""
                    C: x1 NOOP
                    S~ \\* 1 FETCH \\(UID 1 FLAGS \\(\\\\Seen\\) MODSEQ \\(\\d+\\)\\)
                    S: x1 OK NOOP completed
                    """);
        }
    }

    /**
     * MOVE into the mailbox it came from (allowed by RFC 6851 §3.3, whose "intermediate states ...
     * do not occur"): the expunge is told first, then the new message, as Dovecot and Cyrus tell
     * it; in the other sessions too.
     */
    @Test @Timeout(30)
    void moveWithinOneMailboxTellsTheExpungeBeforeTheNewMessage() throws Exception {
        String u = user();
        try (TestClient a = new TestClient("a", server.port(), u); TestClient b = new TestClient("b", server.port(), u)) {
            a.append("INBOX", "", "one");
            a.command("SELECT INBOX");
            b.command("SELECT INBOX");
            a.conversation.run("""
                    C: x1 MOVE 1 INBOX
                    S~ \\* OK \\[COPYUID \\d+ 1 2\\] Moved
                    S: * 1 EXPUNGE
                    S: * 1 EXISTS
                    S: * 1 RECENT
                    S: x1 OK MOVE completed
                    """);
            b.conversation.run("""
                    C: x1 NOOP
                    S: * 1 EXPUNGE
                    S: * 1 EXISTS
                    S: * 0 RECENT
                    S: x1 OK NOOP completed
                    """);
        }
    }

    /**
     * RFC 6851 §4.4: with QRESYNC enabled, a MOVE that moved something ends with the mailbox's new
     * HIGHESTMODSEQ (here in the tagged OK, as EXPUNGE's, RFC 7162 §3.2.7).
     */
    @Test @Timeout(30)
    void aQresyncMoveEndsWithTheNewHighestModSeq() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), user())) {
            a.append("INBOX", "", "one");
            a.command("ENABLE QRESYNC");
            long before = highestModSeq(a.command("SELECT INBOX"));
            a.conversation.run("""
                    C: x1 MOVE 1 Trash
                    S~ \\* OK \\[COPYUID \\d+ 1 1\\] Moved
                    S: * VANISHED 1
                    S: x1 OK [HIGHESTMODSEQ %d] MOVE completed
                    """.formatted(before + 1));
        }
    }

    /** RFC 7162 §3.2.11: CLOSED when SELECT or EXAMINE replaces a selection, "whether or not a CONDSTORE enabling command was issued". */
    @Test @Timeout(30)
    void selectingAnotherMailboxSaysClosedFirst() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), user())) {
            a.command("SELECT INBOX");
            assertThat(a.command("SELECT Trash").getFirst()).isEqualTo("* OK [CLOSED] Previous mailbox closed");
            assertThat(a.command("EXAMINE INBOX").getFirst()).isEqualTo("* OK [CLOSED] Previous mailbox closed");
            a.command("UNSELECT");
            assertThat(a.command("SELECT INBOX").getFirst()).doesNotContain("CLOSED");
        }
    }

    /**
     * RFC 7162 §3.2 (and the example of §6): when a FETCH sends MODSEQ data while an expunge with a
     * lower MODSEQ waits (no VANISHED during FETCH), the server MUST send HIGHESTMODSEQ below the
     * expunge's, so a client that loses the connection then does not skip the expunge.
     */
    @Test @Timeout(30)
    void aFetchWhileAnExpungeWaitsSaysAHighestModSeqBelowIt() throws Exception {
        String u = user();
        try (TestClient a = new TestClient("a", server.port(), u); TestClient b = new TestClient("b", server.port(), u)) {
            a.append("INBOX", "", "one");
            a.append("INBOX", "", "two");
            for (TestClient s : List.of(a, b)) {
                s.command("ENABLE QRESYNC");
                s.command("SELECT INBOX");
            }
            b.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
            List<String> expunged = b.command("EXPUNGE");
            Matcher m = Pattern.compile(".* OK \\[HIGHESTMODSEQ (\\d+)\\] .*").matcher(TestClient.last(expunged));
            assertThat(m.matches()).as(b.transcript()).isTrue();
            long expungeModSeq = Long.parseLong(m.group(1));
            b.command("STORE 1 +FLAGS.SILENT (\\Flagged)");
            List<String> fetched = a.command("FETCH 2 (FLAGS)");
            assertThat(fetched).as(a.transcript()).noneMatch(l -> l.startsWith("* VANISHED"))
                    .anyMatch(l -> l.startsWith("* 2 FETCH") && l.contains("MODSEQ (" + (expungeModSeq + 1) + ")"));
            assertThat(highestModSeq(fetched)).as(a.transcript()).isPositive().isLessThan(expungeModSeq);
            assertThat(a.command("NOOP")).as(a.transcript()).contains("* VANISHED 1");
        }
    }

    /**
     * RFC 7162 §3.1.3: "UNCHANGEDSINCE with a modification sequence of 0 always fails" (a system
     * flag "MUST always be considered existent"), [MODIFIED] naming the message, which keeps its
     * flags; a STORE that passes the test sends "an untagged FETCH ... even if the .SILENT suffix
     * is specified", with MODSEQ, to keep the client's cache right.
     */
    @Test @Timeout(30)
    void unchangedSinceZeroAlwaysFailsAndAPassingSilentStoreStillSaysTheModSeq() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), user())) {
            a.append("INBOX", "", "one");
            a.append("INBOX", "", "two");
            a.command("SELECT INBOX (CONDSTORE)");
            List<String> zero = a.command("STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)");
            assertThat(TestClient.last(zero)).as(a.transcript()).contains(" OK [MODIFIED 1] ");
            assertThat(a.command("FETCH 1 (FLAGS)")).as(a.transcript()).noneMatch(l -> l.contains("\\Seen"));
            List<String> silent = a.command("STORE 1:2 (UNCHANGEDSINCE 1000000) +FLAGS.SILENT (\\Seen)");
            assertThat(TestClient.last(silent)).as(a.transcript()).doesNotContain("MODIFIED");
            assertThat(TestClient.untagged(silent)).as(a.transcript()).hasSize(2)
                    .allMatch(l -> l.matches("\\* [12] FETCH \\(.*MODSEQ \\(\\d+\\)\\)"));
        }
    }

    /**
     * RFC 7162 §3.2.6: the VANISHED modifier is for UID FETCH with CHANGEDSINCE only (BAD
     * otherwise); §3.2.5: a SELECT (QRESYNC ...) whose UIDVALIDITY is not the mailbox's gets no
     * VANISHED and no FETCH, only what any SELECT says.
     */
    @Test @Timeout(30)
    void vanishedNeedsUidFetchWithChangedSinceAndAStaleUidValidityGetsNoResync() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), user())) {
            a.append("INBOX", "", "one");
            a.append("INBOX", "", "two");
            a.command("ENABLE QRESYNC");
            a.command("SELECT INBOX");
            a.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
            a.command("EXPUNGE");
            assertThat(TestClient.last(a.command("UID FETCH 1:* (FLAGS) (VANISHED)"))).as(a.transcript()).contains(" BAD ");
            assertThat(TestClient.last(a.command("FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)"))).as(a.transcript()).contains(" BAD ");
            assertThat(a.command("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")).as(a.transcript()).contains("* VANISHED (EARLIER) 1");
            a.command("UNSELECT");
            List<String> stale = a.command("SELECT INBOX (QRESYNC (1 1))");
            assertThat(TestClient.last(stale)).as(a.transcript()).contains(" OK [READ-WRITE] ");
            assertThat(stale).as(a.transcript()).noneMatch(l -> l.startsWith("* VANISHED") || l.contains(" FETCH "));
        }
    }
}
