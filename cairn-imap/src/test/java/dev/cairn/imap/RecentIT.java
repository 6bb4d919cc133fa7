// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * \Recent in IMAP4rev1 (RFC 3501 §2.3.2): a message is recent in exactly one session, the first
 * to be told of it; SELECT and EXAMINE count them (§6.3.1, §7.3.2, and again when new messages
 * arrive), FETCH FLAGS shows the flag, SEARCH RECENT, NEW and OLD find by it (§6.4.4), STATUS
 * RECENT counts the messages no session has been told of yet (§6.3.10), EXAMINE leaves them
 * recent (§6.3.2). A session that enabled IMAP4rev2 neither sees nor takes it (RFC 9051 removed
 * the flag).
 */
class RecentIT {
    @TempDir Path dir;

    @Test @Timeout(60)
    void aMessageIsRecentInExactlyOneSessionTheFirstToldOfIt() throws Exception {
        try (TestImapServer server = new TestImapServer(dir);
             TestClient a = new TestClient("a", server.port(), "rec1");
             TestClient b = new TestClient("b", server.port(), "rec1");
             TestClient examiner = new TestClient("e", server.port(), "rec1");
             TestClient deliverer = new TestClient("d", server.port(), "rec1")) {
            deliverer.append("INBOX", "\\Seen", "one");
            deliverer.append("INBOX", "", "two");
            deliverer.conversation.run("""
                    C: x1 STATUS INBOX (RECENT MESSAGES)
                    S: * STATUS "INBOX" (RECENT 2 MESSAGES 2)
                    S: x1 OK STATUS completed
                    """);
            // EXAMINE shows them recent and leaves them so (RFC 3501 §6.3.2)
            examiner.conversation.run("""
                    C: x1 EXAMINE INBOX
                    S~ \\* FLAGS .*
                    S~ \\* OK \\[PERMANENTFLAGS \\(\\)\\] .*
                    S: * 2 EXISTS
                    S: * 2 RECENT
                    S* x1 OK \\[READ-ONLY\\] EXAMINE completed
                    C: x2 FETCH 1:* (FLAGS)
                    S: * 1 FETCH (FLAGS (\\Seen \\Recent))
                    S: * 2 FETCH (FLAGS (\\Recent))
                    S: x2 OK FETCH completed
                    """);
            a.conversation.run("""
                    C: x1 SELECT INBOX
                    S~ \\* FLAGS .*
                    S~ \\* OK \\[PERMANENTFLAGS .*
                    S: * 2 EXISTS
                    S: * 2 RECENT
                    S* x1 OK \\[READ-WRITE\\] SELECT completed
                    C: x2 FETCH 1:* (FLAGS)
                    S: * 1 FETCH (FLAGS (\\Seen \\Recent))
                    S: * 2 FETCH (FLAGS (\\Recent))
                    S: x2 OK FETCH completed
                    C: x3 SEARCH RECENT
                    S: * SEARCH 1 2
                    S: x3 OK SEARCH completed
                    C: x4 SEARCH NEW
                    S: * SEARCH 2
                    S: x4 OK SEARCH completed
                    C: x5 SEARCH OLD
                    S: * SEARCH
                    S: x5 OK SEARCH completed
                    C: x6 STORE 2 -FLAGS (\\Recent)
                    S: * 2 FETCH (UID 2 FLAGS (\\Recent))
                    S: x6 OK STORE completed
                    """);
            // a later session is not told they are recent; nor is STATUS
            b.conversation.run("""
                    C: x1 SELECT INBOX
                    S~ \\* FLAGS .*
                    S~ \\* OK \\[PERMANENTFLAGS .*
                    S: * 2 EXISTS
                    S: * 0 RECENT
                    S* x1 OK \\[READ-WRITE\\] SELECT completed
                    C: x2 FETCH 1:* (FLAGS)
                    S: * 1 FETCH (FLAGS (\\Seen))
                    S: * 2 FETCH (FLAGS ())
                    S: x2 OK FETCH completed
                    C: x3 SEARCH OLD
                    S: * SEARCH 1 2
                    S: x3 OK SEARCH completed
                    C: x4 SEARCH OR RECENT NEW
                    S: * SEARCH
                    S: x4 OK SEARCH completed
                    """);
            deliverer.conversation.run("""
                    C: x2 STATUS INBOX (RECENT)
                    S: * STATUS "INBOX" (RECENT 0)
                    S: x2 OK STATUS completed
                    """);
            // a message arriving while both have the mailbox selected: recent where it is told first
            deliverer.append("INBOX", "", "three");
            b.conversation.run("""
                    C: x5 NOOP
                    S: * 3 EXISTS
                    S: * 1 RECENT
                    S: x5 OK NOOP completed
                    C: x6 FETCH 3 (FLAGS)
                    S: * 3 FETCH (FLAGS (\\Recent))
                    S: x6 OK FETCH completed
                    """);
            a.conversation.run("""
                    C: x7 NOOP
                    S: * 3 EXISTS
                    S: * 2 RECENT
                    S: x7 OK NOOP completed
                    C: x8 FETCH 3 (FLAGS)
                    S: * 3 FETCH (FLAGS ())
                    S: x8 OK FETCH completed
                    """);
            examiner.conversation.run("""
                    C: x3 NOOP
                    S: * 3 EXISTS
                    S: * 2 RECENT
                    S: x3 OK NOOP completed
                    """);
        }
    }

    @Test @Timeout(60)
    void anImap4rev2SessionNeitherSeesNorTakesRecent() throws Exception {
        try (TestImapServer server = new TestImapServer(dir);
             TestClient rev2 = new TestClient("r", server.port(), "rec2");
             TestClient rev1 = new TestClient("a", server.port(), "rec2")) {
            rev2.append("INBOX", "", "one");
            rev2.conversation.run("""
                    C: x1 ENABLE IMAP4rev2
                    S: * ENABLED IMAP4rev2
                    S: x1 OK ENABLE completed
                    C: x2 SELECT INBOX
                    S~ \\* FLAGS .*
                    S~ \\* OK \\[PERMANENTFLAGS .*
                    S: * 1 EXISTS
                    S~ \\* OK \\[UIDVALIDITY \\d+\\] UIDs valid
                    S* x2 OK \\[READ-WRITE\\] SELECT completed
                    C: x3 FETCH 1 (FLAGS)
                    S: * 1 FETCH (FLAGS ())
                    S: x3 OK FETCH completed
                    """);
            rev1.conversation.run("""
                    C: x1 SELECT INBOX
                    S~ \\* FLAGS .*
                    S~ \\* OK \\[PERMANENTFLAGS .*
                    S: * 1 EXISTS
                    S: * 1 RECENT
                    S* x1 OK \\[READ-WRITE\\] SELECT completed
                    """);
        }
    }

    @Test @Timeout(60)
    void whatASessionWasToldIsRecentStaysToldAfterARestart() throws Exception {
        try (TestImapServer server = new TestImapServer(dir); TestClient a = new TestClient("a", server.port(), "rec3")) {
            a.append("INBOX", "", "one");
            a.conversation.run("""
                    C: x1 SELECT INBOX
                    S* \\* 1 RECENT
                    S* x1 OK .*
                    """);
        }
        try (TestImapServer server = new TestImapServer(dir); TestClient a = new TestClient("a", server.port(), "rec3")) {
            a.append("INBOX", "", "two");
            a.conversation.run("""
                    C: x1 STATUS INBOX (RECENT)
                    S: * STATUS "INBOX" (RECENT 1)
                    S: x1 OK STATUS completed
                    C: x2 SELECT INBOX
                    S~ \\* FLAGS .*
                    S~ \\* OK \\[PERMANENTFLAGS .*
                    S: * 2 EXISTS
                    S: * 1 RECENT
                    S* x2 OK .*
                    C: x3 SEARCH RECENT
                    S: * SEARCH 2
                    S: x3 OK SEARCH completed
                    """);
        }
    }

    /**
     * RFC 3501 §2.3.2: a message is recent in the session that is told of it first, so what a
     * session APPENDs or COPYs into the mailbox it has selected is recent there and in no other;
     * STATUS RECENT then counts none (§6.3.10: recent in no session yet).
     */
    @Test @Timeout(60)
    void whatASessionPutsIntoItsOwnSelectedMailboxIsRecentForItAlone() throws Exception {
        try (TestImapServer server = new TestImapServer(dir);
             TestClient a = new TestClient("a", server.port(), "rec4");
             TestClient b = new TestClient("b", server.port(), "rec4")) {
            a.append("Archive", "", "old");
            a.command("SELECT INBOX");
            a.conversation.run("""
                    C: x1 APPEND INBOX {15+}
                    C: Subject: x<CRLF><CRLF>x
                    S: * 1 EXISTS
                    S: * 1 RECENT
                    S~ x1 OK \\[APPENDUID \\d+ 1\\] APPEND completed
                    C: x2 EXAMINE Archive
                    S* x2 OK .*
                    C: x3 COPY 1 INBOX
                    S~ x3 OK \\[COPYUID .*
                    C: x4 SELECT INBOX
                    S: * OK [CLOSED] Previous mailbox closed
                    S~ \\* FLAGS .*
                    S~ \\* OK \\[PERMANENTFLAGS .*
                    S: * 2 EXISTS
                    S: * 1 RECENT
                    S* x4 OK .*
                    C: x5 COPY 2 INBOX
                    S: * 3 EXISTS
                    S: * 2 RECENT
                    S~ x5 OK \\[COPYUID .*
                    C: x6 NOOP
                    S: x6 OK NOOP completed
                    C: x7 SEARCH RECENT
                    S: * SEARCH 2 3
                    S: x7 OK SEARCH completed
                    """);
            b.conversation.run("""
                    C: x1 STATUS INBOX (MESSAGES RECENT)
                    S: * STATUS "INBOX" (MESSAGES 3 RECENT 0)
                    S: x1 OK STATUS completed
                    C: x2 EXAMINE INBOX
                    S~ \\* FLAGS .*
                    S~ \\* OK \\[PERMANENTFLAGS .*
                    S: * 3 EXISTS
                    S: * 0 RECENT
                    S* x2 OK .*
                    """);
        }
    }
}
