// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client learns the keywords of a mailbox only from FLAGS (RFC 9051 §7.3.5, RFC 3501 §7.2.6:
 * "the update from the FLAGS response MUST be recorded by the client") and which it may set from
 * PERMANENTFLAGS (RFC 9051 §7.1): every session with the mailbox selected is told of a new keyword
 * before any FETCH shows it, whoever brought it in (STORE, APPEND, COPY, MOVE).
 */
class KeywordAnnouncementIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static final String SYSTEM = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

    @Test @Timeout(60)
    void aNewKeywordIsAnnouncedToEverySessionBeforeItIsUsed() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), "kw1");
             TestClient b = new TestClient("b", server.port(), "kw1");
             TestClient ro = new TestClient("ro", server.port(), "kw1");
             TestClient other = new TestClient("o", server.port(), "kw1")) {
            a.append("INBOX", "", "one");
            a.conversation.run("""
                    C: x1 SELECT INBOX
                    S: * FLAGS (%1$s)
                    S: * OK [PERMANENTFLAGS (%1$s \\*)] Flags permitted
                    S* x1 OK .*
                    """.formatted(SYSTEM));
            b.command("SELECT INBOX");
            ro.command("EXAMINE INBOX");
            // the session that stores it is told first, then the FETCH
            a.conversation.run("""
                    C: x2 STORE 1 +FLAGS ($Label1)
                    S: * FLAGS (%1$s $Label1)
                    S: * OK [PERMANENTFLAGS (%1$s $Label1 \\*)] Flags permitted
                    S: * 1 FETCH (UID 1 FLAGS (\\Recent $Label1))
                    S: x2 OK STORE completed
                    """.formatted(SYSTEM));
            // the other sessions with the mailbox selected, at their next chance
            b.conversation.run("""
                    C: x1 NOOP
                    S: * FLAGS (%1$s $Label1)
                    S: * OK [PERMANENTFLAGS (%1$s $Label1 \\*)] Flags permitted
                    S: * 1 FETCH (UID 1 FLAGS ($Label1))
                    S: x1 OK NOOP completed
                    """.formatted(SYSTEM));
            // read-only: the flags it may set do not change (RFC 9051 §6.3.3: none)
            ro.conversation.run("""
                    C: x1 NOOP
                    S: * FLAGS (%1$s $Label1)
                    S: * 1 FETCH (UID 1 FLAGS ($Label1))
                    S: x1 OK NOOP completed
                    """.formatted(SYSTEM));
            // a session selecting now finds it in SELECT's FLAGS
            other.conversation.run("""
                    C: x1 SELECT INBOX
                    S: * FLAGS (%1$s $Label1)
                    S: * OK [PERMANENTFLAGS (%1$s $Label1 \\*)] Flags permitted
                    S* x1 OK .*
                    C: x2 UNSELECT
                    S: x2 OK UNSELECT completed
                    """.formatted(SYSTEM));
            // APPEND from a session that does not have the mailbox selected
            other.append("INBOX", "$Label2", "two");
            a.conversation.run("""
                    C: x3 NOOP
                    S: * FLAGS (%1$s $Label1 $Label2)
                    S: * OK [PERMANENTFLAGS (%1$s $Label1 $Label2 \\*)] Flags permitted
                    S: * 2 EXISTS
                    S: * 2 RECENT
                    S: x3 OK NOOP completed
                    C: x4 FETCH 2 (FLAGS)
                    S: * 2 FETCH (FLAGS (\\Recent $Label2))
                    S: x4 OK FETCH completed
                    """.formatted(SYSTEM));
            // COPY and MOVE from another mailbox (b is told of them first: they are recent there)
            other.command("CREATE Other");
            other.append("Other", "$Label3", "three");
            other.append("Other", "$Label4", "four");
            other.command("SELECT Other");
            other.command("COPY 1 INBOX");
            other.command("MOVE 2 INBOX");
            b.conversation.run("""
                    C: x2 NOOP
                    S: * FLAGS (%1$s $Label1 $Label2)
                    S: * OK [PERMANENTFLAGS (%1$s $Label1 $Label2 \\*)] Flags permitted
                    S: * 2 EXISTS
                    S: * 0 RECENT
                    S: * FLAGS (%1$s $Label1 $Label2 $Label3)
                    S: * OK [PERMANENTFLAGS (%1$s $Label1 $Label2 $Label3 \\*)] Flags permitted
                    S: * 3 EXISTS
                    S: * 1 RECENT
                    S: * FLAGS (%1$s $Label1 $Label2 $Label3 $Label4)
                    S: * OK [PERMANENTFLAGS (%1$s $Label1 $Label2 $Label3 $Label4 \\*)] Flags permitted
                    S: * 4 EXISTS
                    S: * 2 RECENT
                    S: x2 OK NOOP completed
                    C: x3 FETCH 3:4 (FLAGS)
                    S: * 3 FETCH (FLAGS (\\Recent $Label3))
                    S: * 4 FETCH (FLAGS (\\Recent $Label4))
                    S: x3 OK FETCH completed
                    """.formatted(SYSTEM));
        }
    }

    /**
     * More ways a keyword comes in (RFC 9051 §7.3.5): an idling session hears FLAGS before the
     * FETCH that uses it (§6.3.13: IDLE carries the same untagged updates); STORE FLAGS replacing
     * every flag, and UID STORE, announce theirs; a keyword in another case is the same keyword
     * (§2.3.2: flags are case-insensitive), so nothing new is announced; after a STORE .SILENT the
     * storing session hears FLAGS with the first FETCH that shows the keyword, the others at once.
     */
    @Test @Timeout(60)
    void idlingSessionsAndEveryFormOfStoreAnnounceOnlyNewKeywords() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), "kw2");
             TestClient idler = new TestClient("i", server.port(), "kw2")) {
            a.append("INBOX", "", "one");
            a.append("INBOX", "", "two");
            a.command("SELECT INBOX");
            idler.command("SELECT INBOX");
            idler.conversation.run("""
                    C: x1 IDLE
                    S: + idling
                    """);
            a.conversation.run("""
                    C: x1 STORE 1 FLAGS (\\Seen Work)
                    S: * FLAGS (%1$s Work)
                    S: * OK [PERMANENTFLAGS (%1$s Work \\*)] Flags permitted
                    S: * 1 FETCH (UID 1 FLAGS (\\Seen \\Recent Work))
                    S: x1 OK STORE completed
                    """.formatted(SYSTEM));
            idler.conversation.run("""
                    S: * FLAGS (%1$s Work)
                    S: * OK [PERMANENTFLAGS (%1$s Work \\*)] Flags permitted
                    S: * 1 FETCH (UID 1 FLAGS (\\Seen Work))
                    C: DONE
                    S: x1 OK IDLE terminated
                    """.formatted(SYSTEM));
            a.conversation.run("""
                    C: x2 UID STORE 2 +FLAGS (WORK)
                    S~ \\* 2 FETCH \\(UID 2 FLAGS \\(\\\\Recent (?i:work)\\)\\)
                    S: x2 OK STORE completed
                    C: x3 UID STORE 2 +FLAGS.SILENT (Home)
                    S: x3 OK STORE completed
                    C: x4 FETCH 2 (FLAGS)
                    S: * FLAGS (%1$s Home Work)
                    S: * OK [PERMANENTFLAGS (%1$s Home Work \\*)] Flags permitted
                    S~ \\* 2 FETCH \\(FLAGS \\(\\\\Recent (Home Work|Work Home)\\)\\)
                    S: x4 OK FETCH completed
                    """.formatted(SYSTEM));
            idler.conversation.run("""
                    C: x2 NOOP
                    S~ \\* 2 FETCH \\(UID 2 FLAGS \\((?i:work)\\)\\)
                    S: * FLAGS (%1$s Home Work)
                    S: * OK [PERMANENTFLAGS (%1$s Home Work \\*)] Flags permitted
                    S~ \\* 2 FETCH \\(UID 2 FLAGS \\((Home Work|Work Home)\\)\\)
                    S: x2 OK NOOP completed
                    """.formatted(SYSTEM));
        }
    }
}
