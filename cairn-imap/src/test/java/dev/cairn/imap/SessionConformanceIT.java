// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MUSTs of RFC 9051 §6.3 (mailbox commands) and §7.5.1 (when a session may be told of an
 * expunge) that no other conversation test shows, a second session wherever the RFC says what
 * other sessions see.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionConformanceIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static void play(String script) throws Exception { Conversation.play(server.port(), script); }

    /**
     * RFC 9051 §6.3.2: "If a mailbox is selected and a SELECT command that fails is attempted, no
     * mailbox is selected" (EXAMINE likewise, §6.3.3); the old selection ends with [CLOSED] (§7.1).
     */
    @Test void aFailedSelectOrExamineLeavesNoMailboxSelected() throws Exception {
        play("""
                C: a LOGIN sess1 pw-sess1
                S~ a OK .*
                C: b APPEND INBOX {15+}
                C: Subject: x<CRLF><CRLF>x
                S~ b OK .*
                C: c SELECT INBOX
                S* c OK \\[READ-WRITE\\] SELECT completed
                C: d SELECT Nowhere
                S: * OK [CLOSED] Previous mailbox closed
                S: d NO [NONEXISTENT] No such mailbox
                C: e FETCH 1 (FLAGS)
                S: e BAD No mailbox selected
                C: f EXAMINE INBOX
                S* f OK \\[READ-ONLY\\] EXAMINE completed
                C: g EXAMINE Nowhere
                S: * OK [CLOSED] Previous mailbox closed
                S: g NO [NONEXISTENT] No such mailbox
                C: h NOOP
                S: h OK NOOP completed
                C: i STORE 1 +FLAGS (\\Seen)
                S: i BAD No mailbox selected
                """);
    }

    /**
     * RFC 9051 §6.3.2: SELECT (and EXAMINE) in IMAP4rev2 "MUST return a LIST response with the
     * mailbox name", whose attributes "MUST be accurate". An IMAP4rev1 session is not sent one
     * (RFC 3501 §6.3.1 has no such response).
     */
    @Test void anImap4rev2SelectSaysTheMailboxsListEntry() throws Exception {
        play("""
                C: a LOGIN sess2 pw-sess2
                S~ a OK .*
                C: b CREATE Parent/Kid
                S~ b OK .*
                C: c SELECT Parent
                S* \\* OK \\[MAILBOXID .*
                S: c OK [READ-WRITE] SELECT completed
                C: d ENABLE IMAP4rev2
                S: * ENABLED IMAP4rev2
                S: d OK ENABLE completed
                C: e SELECT Parent
                S: * OK [CLOSED] Previous mailbox closed
                S* \\* OK \\[MAILBOXID .*
                S: * LIST (\\HasChildren) "/" "Parent"
                S: e OK [READ-WRITE] SELECT completed
                C: f EXAMINE Parent/Kid
                S: * OK [CLOSED] Previous mailbox closed
                S* \\* OK \\[MAILBOXID .*
                S: * LIST (\\HasNoChildren) "/" "Parent/Kid"
                S: f OK [READ-ONLY] EXAMINE completed
                C: g SELECT inbox
                S: * OK [CLOSED] Previous mailbox closed
                S* \\* OK \\[MAILBOXID .*
                S: * LIST (\\HasNoChildren) "/" "INBOX"
                S: g OK [READ-WRITE] SELECT completed
                C: h EXAMINE Trash
                S: * OK [CLOSED] Previous mailbox closed
                S* \\* OK \\[MAILBOXID .*
                S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
                S: h OK [READ-ONLY] EXAMINE completed
                """);
    }

    /**
     * RFC 9051 §7.5.1: an EXPUNGE "MUST NOT be sent when no command is in progress, nor while
     * responding to a FETCH, STORE, or SEARCH command", since the client's message numbers would
     * shift under it; and "it is not permitted to send an EXISTS response that would reduce the
     * number of messages". Another session expunges message 1 and appends one: until a NOOP, the
     * session keeps its numbering (message 2 stays 2) and never hears an EXISTS below 3.
     */
    @Test void anExpungeWaitsForACommandThatMayReportIt() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), "sess3");
             TestClient b = new TestClient("b", server.port(), "sess3")) {
            for (String s : List.of("one", "two", "three")) b.append("INBOX", "", s);
            a.command("SELECT INBOX");
            b.command("SELECT INBOX");
            b.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
            assertThat(b.command("EXPUNGE")).contains("* 1 EXPUNGE");
            b.append("INBOX", "", "four");
            List<String> told = new java.util.ArrayList<>();
            told.addAll(a.command("FETCH 2 (UID)"));
            told.addAll(a.command("STORE 2 +FLAGS (\\Flagged)"));
            told.addAll(a.command("SEARCH UNDELETED"));
            told.addAll(a.command("FETCH 2:3 (UID)"));
            assertThat(told).as(a.transcript())
                    .noneMatch(l -> l.endsWith(" EXPUNGE"))
                    .noneMatch(l -> l.matches("\\* [0-2] EXISTS"))
                    .contains("* 2 FETCH (UID 2)", "* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))", "* 3 FETCH (UID 3)");
            // a command that may report it: EXPUNGE first, then the numbers shift
            List<String> noop = a.command("NOOP");
            assertThat(noop).as(a.transcript()).contains("* 1 EXPUNGE");
            assertThat(noop).as(a.transcript()).noneMatch(l -> l.matches("\\* [0-2] EXISTS"));
            assertThat(TestClient.untagged(a.command("FETCH 1:* (UID)"))).as(a.transcript())
                    .containsExactly("* 1 FETCH (UID 2)", "* 2 FETCH (UID 3)", "* 3 FETCH (UID 4)");
        }
    }

    /**
     * RFC 9051 §6.3.6: RENAME INBOX "moves all messages in INBOX to a new mailbox with the given
     * name, leaving INBOX empty"; INBOX's inferior names "are unaffected". Any other name's
     * inferiors "MUST also be renamed".
     */
    @Test void renameInboxMovesItsMessagesAndRenameTakesInferiorsAlong() throws Exception {
        play("""
                C: a LOGIN sess4 pw-sess4
                S~ a OK .*
                C: b APPEND INBOX {15+}
                C: Subject: x<CRLF><CRLF>x
                S~ b OK .*
                C: c APPEND INBOX {15+}
                C: Subject: y<CRLF><CRLF>y
                S~ c OK .*
                C: d CREATE INBOX/Kid
                S~ d OK .*
                C: e RENAME INBOX Old/Inbox
                S: e OK RENAME completed
                C: f STATUS INBOX (MESSAGES)
                S: * STATUS "INBOX" (MESSAGES 0)
                S: f OK STATUS completed
                C: g STATUS Old/Inbox (MESSAGES)
                S: * STATUS "Old/Inbox" (MESSAGES 2)
                S: g OK STATUS completed
                C: h LIST "" INBOX*
                S: * LIST (\\HasChildren) "/" "INBOX"
                S: * LIST (\\HasNoChildren) "/" "INBOX/Kid"
                S: h OK LIST completed
                C: i CREATE Tree/Branch/Leaf
                S~ i OK .*
                C: j RENAME Tree Wood
                S: j OK RENAME completed
                C: k LIST "" Wood*
                S: * LIST (\\HasChildren) "/" "Wood"
                S: * LIST (\\HasChildren) "/" "Wood/Branch"
                S: * LIST (\\HasNoChildren) "/" "Wood/Branch/Leaf"
                S: k OK LIST completed
                C: l LIST "" Tree*
                S: l OK LIST completed
                """);
    }

    /**
     * RFC 9051 §6.3.4: "It is an error to attempt to create INBOX or a mailbox with a name that
     * refers to an extant mailbox" (in any case, INBOX being case-insensitive, §5.1); §6.3.5:
     * "The DELETE command MUST NOT remove inferior hierarchical names".
     */
    @Test void createOfAnExtantNameFailsAndDeleteLeavesInferiors() throws Exception {
        play("""
                C: a LOGIN sess5 pw-sess5
                S~ a OK .*
                C: b CREATE inbox
                S~ b NO \\[ALREADYEXISTS\\] .*
                C: c CREATE INBOX
                S~ c NO \\[ALREADYEXISTS\\] .*
                C: d CREATE Top/Sub
                S~ d OK .*
                C: e CREATE Top/
                S~ e NO \\[ALREADYEXISTS\\] .*
                C: f DELETE Top
                S: f OK DELETE completed
                C: g LIST "" Top/*
                S: * LIST (\\HasNoChildren) "/" "Top/Sub"
                S: g OK LIST completed
                C: h STATUS Top/Sub (MESSAGES)
                S: * STATUS "Top/Sub" (MESSAGES 0)
                S: h OK STATUS completed
                """);
    }

    /**
     * RFC 6851 §3.3: a MOVE that fails leaves "each message in a state where it is in at least one
     * of the source or target mailboxes"; RFC 9051 §6.4.7: a failed COPY leaves the destination
     * "in its state before the COPY attempt". Neither sets \Deleted on the way (RFC 6851 §3.3:
     * "the \Deleted flag will not be set for any messages"): a second session sees no FETCH.
     */
    @Test void aFailedMoveOrCopyChangesNothingAndMoveNeverShowsDeleted() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), "sess6");
             TestClient b = new TestClient("b", server.port(), "sess6")) {
            a.append("INBOX", "", "one");
            a.append("INBOX", "", "two");
            a.command("SELECT INBOX");
            b.command("SELECT INBOX");
            assertThat(TestClient.last(a.command("MOVE 1:2 Nowhere"))).as(a.transcript()).endsWith(" NO [TRYCREATE] No such mailbox");
            assertThat(TestClient.last(a.command("COPY 1:5 Trash"))).as(a.transcript()).endsWith(" BAD Invalid message sequence number");
            assertThat(a.command("STATUS Trash (MESSAGES)")).as(a.transcript()).contains("* STATUS \"Trash\" (MESSAGES 0)");
            assertThat(TestClient.untagged(a.command("FETCH 1:2 (UID FLAGS)"))).as(a.transcript())
                    .containsExactly("* 1 FETCH (FLAGS (\\Recent) UID 1)", "* 2 FETCH (FLAGS (\\Recent) UID 2)");
            assertThat(a.command("UID MOVE 2 Trash")).as(a.transcript()).noneMatch(l -> l.contains("FETCH")).contains("* 2 EXPUNGE");
            assertThat(TestClient.untagged(b.command("NOOP"))).as(b.transcript()).containsExactly("* 2 EXPUNGE");
            assertThat(a.command("STATUS Trash (MESSAGES)")).as(a.transcript()).contains("* STATUS \"Trash\" (MESSAGES 1)");
        }
    }

    /**
     * RFC 9051 §6.3.3: in EXAMINE "no changes to the permanent state of the mailbox, including
     * per-user state, are permitted": BODY[] does not set \Seen, and CLOSE removes nothing (§6.4.1);
     * UNSELECT never expunges (§6.4.2). RFC 3501 §6.3.1: SELECT says the first unseen message.
     */
    @Test void examineChangesNothingAndUnselectExpungesNothing() throws Exception {
        play("""
                C: a LOGIN sess7 pw-sess7
                S~ a OK .*
                C: b APPEND INBOX (\\Seen \\Deleted) {15+}
                C: Subject: x<CRLF><CRLF>x
                S~ b OK .*
                C: c APPEND INBOX {15+}
                C: Subject: y<CRLF><CRLF>y
                S~ c OK .*
                C: d EXAMINE INBOX
                S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
                S: * OK [PERMANENTFLAGS ()] Flags permitted
                S: * 2 EXISTS
                S: * 2 RECENT
                S: * OK [UNSEEN 2] First unseen
                S* d OK \\[READ-ONLY\\] EXAMINE completed
                C: e FETCH 2 (BODY[TEXT])
                S: * 2 FETCH (BODY[TEXT] {1}
                S: y)
                S: e OK FETCH completed
                C: f CLOSE
                S: f OK CLOSE completed
                C: g STATUS INBOX (MESSAGES UNSEEN DELETED)
                S: * STATUS "INBOX" (MESSAGES 2 UNSEEN 1 DELETED 1)
                S: g OK STATUS completed
                C: h SELECT INBOX
                S* h OK \\[READ-WRITE\\] SELECT completed
                C: i UNSELECT
                S: i OK UNSELECT completed
                C: j STATUS INBOX (MESSAGES)
                S: * STATUS "INBOX" (MESSAGES 2)
                S: j OK STATUS completed
                """);
    }

    /**
     * RFC 9051 §6.4.9: a UID command's FETCH responses carry UID, "a non-existent unique identifier
     * is ignored", and "n:*" always includes the last message "even if n is higher than any
     * assigned UID value"; RFC 9051 §6.4.4 likewise for a UID set in SEARCH.
     */
    @Test void uidCommandsAnswerWithUidsAndStarIsTheLastMessage() throws Exception {
        play("""
                C: a LOGIN sess8 pw-sess8
                S~ a OK .*
                C: b APPEND INBOX {15+}
                C: Subject: x<CRLF><CRLF>x
                S~ b OK .*
                C: c APPEND INBOX {15+}
                C: Subject: y<CRLF><CRLF>y
                S~ c OK .*
                C: d SELECT INBOX
                S* d OK .*
                C: e UID FETCH 1 (FLAGS)
                S: * 1 FETCH (UID 1 FLAGS (\\Recent))
                S: e OK FETCH completed
                C: f UID STORE 2 +FLAGS (\\Flagged)
                S: * 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))
                S: f OK STORE completed
                C: g UID FETCH 100:* (FLAGS)
                S: * 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))
                S: g OK FETCH completed
                C: h UID SEARCH UID 100:*
                S: * SEARCH 2
                S: h OK SEARCH completed
                C: i SEARCH UID 100:*
                S: * SEARCH 2
                S: i OK SEARCH completed
                C: j UID FETCH 3:99 (FLAGS)
                S: j OK FETCH completed
                C: k UID STORE 3:99 +FLAGS (\\Seen)
                S: k OK STORE completed
                C: l FETCH 2:* (UID)
                S: * 2 FETCH (UID 2)
                S: l OK FETCH completed
                """);
    }

    /**
     * RFC 9051 §6.3.12: APPEND to a mailbox that does not exist "MUST return an error, and MUST NOT
     * automatically create the mailbox", with [TRYCREATE]; flags and the date-time given are the
     * message's. RFC 3501 §6.4.5: RFC822.HEADER does not set \Seen, RFC822.TEXT does (and says so).
     */
    @Test void appendToAMissingMailboxCreatesNothingAndKeepsWhatItIsGiven() throws Exception {
        play("""
                C: a LOGIN sess9 pw-sess9
                S~ a OK .*
                C: b APPEND Nowhere {15+}
                C: Subject: x<CRLF><CRLF>x
                S~ b NO \\[TRYCREATE\\] .*
                C: c LIST "" Nowhere
                S: c OK LIST completed
                C: d APPEND INBOX ($Work \\Flagged) "05-Mar-2021 10:11:12 +0100" {15+}
                C: Subject: x<CRLF><CRLF>x
                S~ d OK .*
                C: e SELECT INBOX
                S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)
                S* e OK .*
                C: f FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)
                S: * 1 FETCH (FLAGS (\\Flagged \\Recent $Work) INTERNALDATE "05-Mar-2021 10:11:12 +0100" RFC822.SIZE 15)
                S: f OK FETCH completed
                C: g FETCH 1 (RFC822.HEADER)
                S: * 1 FETCH (RFC822.HEADER {14}
                S: Subject: x
                S:
                S: )
                S: g OK FETCH completed
                C: h FETCH 1 (RFC822.TEXT)
                S~ \\* 1 FETCH \\(FLAGS \\(.*\\\\Seen.*\\) RFC822.TEXT \\{1\\}
                S: x)
                S: h OK FETCH completed
                """);
    }

    /**
     * RFC 9051 §6.4.5 partial FETCH: "<origin.count>" gives at most count octets from origin, the
     * response naming only the origin; "if the origin octet is beyond the end of the text, an
     * empty string is returned"; HEADER.FIELDS.NOT keeps the other fields.
     */
    @Test void partialFetchesCountOctetsAndPastTheEndIsEmpty() throws Exception {
        play("""
                C: a LOGIN sess10 pw-sess10
                S~ a OK .*
                C: b APPEND INBOX {30+}
                C: Subject: x<CRLF>X-Other: y<CRLF><CRLF>body
                S~ b OK .*
                C: c SELECT INBOX
                S* c OK .*
                C: d FETCH 1 (BODY.PEEK[]<0.7>)
                S: * 1 FETCH (BODY[]<0> {7}
                S: Subject)
                S: d OK FETCH completed
                C: e FETCH 1 (BODY.PEEK[TEXT]<2.100>)
                S: * 1 FETCH (BODY[TEXT]<2> {2}
                S: dy)
                S: e OK FETCH completed
                C: f FETCH 1 (BODY.PEEK[TEXT]<100.5>)
                S: * 1 FETCH (BODY[TEXT]<100> {0}
                S: )
                S: f OK FETCH completed
                C: g FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT)])
                S: * 1 FETCH (BODY[HEADER.FIELDS.NOT (SUBJECT)] {14}
                S: X-Other: y
                S:
                S: )
                S: g OK FETCH completed
                C: h FETCH 1 (FLAGS)
                S: * 1 FETCH (FLAGS (\\Recent))
                S: h OK FETCH completed
                """);
    }
}
