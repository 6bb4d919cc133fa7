// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Protocol conversations over a real socket: client lines and the server lines expected, error paths included. */
class ImapConversationIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static void play(String script) throws Exception { Conversation.play(server.port(), script); }

    @Test void capabilityNoopLogout() throws Exception {
        play("""
                C: a CAPABILITY
                S~ \\* CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS AUTH=PLAIN AUTH=LOGIN SASL-IR .*
                S: a OK CAPABILITY completed
                C: b NOOP
                S: b OK NOOP completed
                C: c LOGOUT
                S: * BYE Logging out
                S: c OK LOGOUT completed
                S: <closed>
                """);
    }

    @Test void loginFailsThenSucceeds() throws Exception {
        play("""
                C: a LOGIN conv1 wrong
                S: a NO [AUTHENTICATIONFAILED] Authentication failed
                C: b LOGIN conv1 pw-conv1
                S~ b OK \\[CAPABILITY IMAP4rev1 IMAP4rev2 .*QRESYNC.*\\] Logged in
                C: c LOGIN conv1 pw-conv1
                S: c BAD Already logged in
                """);
    }

    @Test void authenticatePlainWithAndWithoutInitialResponse() throws Exception {
        // \0conv2\0pw-conv2
        play("""
                C: a AUTHENTICATE PLAIN AGNvbnYyAHB3LWNvbnYy
                S~ a OK \\[CAPABILITY .*\\] Logged in
                """);
        play("""
                C: a AUTHENTICATE PLAIN
                S: +\s
                C: AGNvbnYyAHB3LWNvbnYy
                S~ a OK \\[CAPABILITY .*\\] Logged in
                """);
        play("""
                C: a AUTHENTICATE PLAIN
                S: +\s
                C: *
                S: a BAD AUTHENTICATE cancelled
                C: b AUTHENTICATE LOGIN
                S: + VXNlcm5hbWU6
                C: Y29udjI=
                S: + UGFzc3dvcmQ6
                C: cHctY29udjI=
                S~ b OK \\[CAPABILITY .*\\] Logged in
                """);
    }

    @Test void commandsInTheWrongState() throws Exception {
        play("""
                C: a SELECT INBOX
                S: a BAD Log in first
                C: b LOGIN conv3 pw-conv3
                S~ b OK .*
                C: c FETCH 1 FLAGS
                S: c BAD No mailbox selected
                C: d EXPUNGE
                S: d BAD No mailbox selected
                """);
    }

    @Test void selectCreateListStatusDeleteRename() throws Exception {
        play("""
                C: a LOGIN conv4 pw-conv4
                S~ a OK .*
                C: b LIST "" *
                S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
                S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
                S: * LIST (\\HasNoChildren) "/" "INBOX"
                S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
                S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
                S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
                S: b OK LIST completed
                C: c CREATE Work/Projects
                S~ c OK \\[MAILBOXID \\([A-Za-z0-9_-]+\\)\\] CREATE completed
                C: d CREATE Work
                S~ d NO \\[ALREADYEXISTS\\] .*
                C: e LIST "" %
                S* \\* LIST \\(\\\\HasChildren\\) "/" "Work"
                S: e OK LIST completed
                C: f LIST "" Work/%
                S: * LIST (\\HasNoChildren) "/" "Work/Projects"
                S: f OK LIST completed
                C: g RENAME Work/Projects Work/Done
                S: g OK RENAME completed
                C: h STATUS Work/Done (MESSAGES UIDNEXT UNSEEN)
                S: * STATUS "Work/Done" (MESSAGES 0 UIDNEXT 1 UNSEEN 0)
                S: h OK STATUS completed
                C: i DELETE Work/Done
                S: i OK DELETE completed
                C: j SELECT Work/Done
                S~ j NO \\[NONEXISTENT\\] .*
                C: k DELETE INBOX
                S~ k NO \\[CANNOT\\] .*
                C: l SELECT inbox
                S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
                S: * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted
                S: * 0 EXISTS
                S: * 0 RECENT
                S~ \\* OK \\[UIDVALIDITY \\d+\\] UIDs valid
                S: * OK [UIDNEXT 1] Predicted next UID
                S~ \\* OK \\[HIGHESTMODSEQ \\d+\\] Highest
                S~ \\* OK \\[MAILBOXID \\(.*\\)\\] Ok
                S: l OK [READ-WRITE] SELECT completed
                """);
    }

    @Test void appendFetchStoreSearchExpunge() throws Exception {
        play("""
                C: a LOGIN conv5 pw-conv5
                S~ a OK .*
                C: b APPEND INBOX (\\Seen) {31}
                S: + OK
                C: Subject: one<CRLF><CRLF>first body here
                S~ b OK \\[APPENDUID \\d+ 1\\] APPEND completed
                C: c APPEND INBOX {32+}
                C: Subject: two<CRLF><CRLF>second body here
                S~ c OK \\[APPENDUID \\d+ 2\\] APPEND completed
                C: d EXAMINE INBOX
                S* d OK \\[READ-ONLY\\] EXAMINE completed
                C: e STORE 1 +FLAGS (\\Flagged)
                S: e NO [READ-ONLY] Mailbox is read-only
                C: f SELECT INBOX
                S* f OK \\[READ-WRITE\\] SELECT completed
                C: g FETCH 1:* (UID FLAGS)
                S: * 1 FETCH (FLAGS (\\Seen \\Recent) UID 1)
                S: * 2 FETCH (FLAGS (\\Recent) UID 2)
                S: g OK FETCH completed
                C: h SEARCH UNSEEN
                S: * SEARCH 2
                S: h OK SEARCH completed
                C: i UID SEARCH RETURN (MIN MAX COUNT) ALL
                S: * ESEARCH (TAG "i") UID MIN 1 MAX 2 COUNT 2
                S: i OK SEARCH completed
                C: j FETCH 2 (BODY[HEADER.FIELDS (SUBJECT)] BODY[TEXT])
                S: * 2 FETCH (FLAGS (\\Seen \\Recent) BODY[HEADER.FIELDS (SUBJECT)] {16}
                S: Subject: two
                S:
                S: \sBODY[TEXT] {16}
                S: second body here)
                S: j OK FETCH completed
                C: k STORE 1:2 +FLAGS.SILENT (\\Deleted)
                S: k OK STORE completed
                C: l FETCH 3 FLAGS
                S: l BAD Invalid message sequence number
                C: m UID EXPUNGE 2
                S: * 2 EXPUNGE
                S: m OK EXPUNGE completed
                C: n EXPUNGE
                S: * 1 EXPUNGE
                S: n OK EXPUNGE completed
                C: o FETCH 1:* FLAGS
                S: o BAD Invalid message sequence number
                """);
    }

    @Test void copyMoveWithUidPlus() throws Exception {
        play("""
                C: a LOGIN conv6 pw-conv6
                S~ a OK .*
                C: b APPEND INBOX {15+}
                C: Subject: x<CRLF><CRLF>x
                S~ b OK .*
                C: c SELECT INBOX
                S* c OK .*
                C: d COPY 1 Nowhere
                S: d NO [TRYCREATE] No such mailbox
                C: e UID COPY 1 Archive
                S~ e OK \\[COPYUID \\d+ 1 1\\] COPY completed
                C: f MOVE 1 Trash
                S~ \\* OK \\[COPYUID \\d+ 1 1\\] Moved
                S: * 1 EXPUNGE
                S: f OK MOVE completed
                C: g STATUS Trash (MESSAGES)
                S: * STATUS "Trash" (MESSAGES 1)
                S: g OK STATUS completed
                """);
    }

    @Test void idleSeesAnotherSessionsAppend() throws Exception {
        try (Conversation idler = new Conversation(server.port()); Conversation other = new Conversation(server.port())) {
            idler.run("""
                    C: a LOGIN conv7 pw-conv7
                    S~ a OK .*
                    C: b SELECT INBOX
                    S* b OK .*
                    C: c IDLE
                    S: + idling
                    """);
            other.run("""
                    C: a LOGIN conv7 pw-conv7
                    S~ a OK .*
                    C: b APPEND INBOX {15+}
                    C: Subject: y<CRLF><CRLF>y
                    S~ b OK .*
                    """);
            idler.run("""
                    S: * 1 EXISTS
                    S: * 1 RECENT
                    C: DONE
                    S: c OK IDLE terminated
                    """);
            other.run("""
                    C: c SELECT INBOX
                    S* c OK .*
                    C: d STORE 1 +FLAGS (\\Flagged)
                    S: * 1 FETCH (UID 1 FLAGS (\\Flagged))
                    S: d OK STORE completed
                    C: d2 STORE 1 +FLAGS (\\Flagged)
                    S: * 1 FETCH (UID 1 FLAGS (\\Flagged))
                    S: d2 OK STORE completed
                    """);
            idler.run("""
                    C: d NOOP
                    S: * 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))
                    S: d OK NOOP completed
                    """);
            other.run("""
                    C: e STORE 1 +FLAGS (\\Deleted)
                    S* e OK .*
                    C: f EXPUNGE
                    S: * 1 EXPUNGE
                    S: f OK EXPUNGE completed
                    """);
            // no EXPUNGE while answering FETCH (RFC 9051 §7.5.1); it comes with the next NOOP
            idler.run("""
                    C: e FETCH 1 (FLAGS)
                    S* e OK FETCH completed
                    C: f NOOP
                    S: * 1 EXPUNGE
                    S: f OK NOOP completed
                    """);
        }
    }

    @Test void enableCondstoreQresync() throws Exception {
        play("""
                C: a LOGIN conv8 pw-conv8
                S~ a OK .*
                C: b ENABLE QRESYNC
                S: * ENABLED QRESYNC
                S: b OK ENABLE completed
                C: c APPEND INBOX {15+}
                C: Subject: z<CRLF><CRLF>z
                S~ c OK .*
                C: d SELECT INBOX
                S* d OK .*
                C: e FETCH 1 (FLAGS) (CHANGEDSINCE 1)
                S~ \\* 1 FETCH \\(FLAGS \\(\\\\Recent\\) MODSEQ \\(\\d+\\)\\)
                S: e OK FETCH completed
                C: f STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)
                S~ \\* 1 FETCH \\(UID 1 FLAGS \\(\\\\Recent\\) MODSEQ \\(\\d+\\)\\)
                S~ f OK \\[MODIFIED 1\\] .*
                C: g STORE 1 +FLAGS (\\Deleted)
                S~ \\* 1 FETCH \\(UID 1 FLAGS \\(\\\\Deleted \\\\Recent\\) MODSEQ \\(\\d+\\)\\)
                S: g OK STORE completed
                C: h EXPUNGE
                S: * VANISHED 1
                S~ h OK \\[HIGHESTMODSEQ \\d+\\] EXPUNGE completed
                C: i UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)
                S: * VANISHED (EARLIER) 1
                S: i OK FETCH completed
                """);
    }

    @Test void namespaceIdQuotaAclEnableRev2() throws Exception {
        play("""
                C: a ID ("name" "test")
                S: * ID ("name" "Cairn" "vendor" "Cairn")
                S: a OK ID completed
                C: b LOGIN conv9 pw-conv9
                S~ b OK .*
                C: c NAMESPACE
                S: * NAMESPACE (("" "/")) NIL NIL
                S: c OK NAMESPACE completed
                C: d GETQUOTAROOT INBOX
                S: * QUOTAROOT "INBOX" ""
                S: * QUOTA "" ()
                S: d OK GETQUOTAROOT completed
                C: e MYRIGHTS INBOX
                S: * MYRIGHTS "INBOX" lrswipkxtea
                S: e OK MYRIGHTS completed
                C: f ENABLE IMAP4rev2
                S: * ENABLED IMAP4rev2
                S: f OK ENABLE completed
                C: g CREATE Ünïcødé
                S~ g OK .*
                C: h LIST "" Ü*
                S: * LIST (\\HasNoChildren) "/" "Ünïcødé"
                S: h OK LIST completed
                C: i SELECT INBOX
                S* i OK .*
                C: j SEARCH ALL
                S: * ESEARCH (TAG "j")
                S: j OK SEARCH completed
                """);
    }

    @Test void modifiedUtf7NamesForRev1() throws Exception {
        play("""
                C: a LOGIN conv10 pw-conv10
                S~ a OK .*
                C: b CREATE &ANw-ber
                S~ b OK .*
                C: c LIST "" &ANw-*
                S: * LIST (\\HasNoChildren) "/" "&ANw-ber"
                S: c OK LIST completed
                C: d CREATE &AGE-
                S: d NO [CANNOT] Invalid mailbox name: printable character shifted
                C: e CREATE &Jjo
                S: e NO [CANNOT] Invalid mailbox name: unterminated '&' shift
                """);
    }

    @Test void searchResultSaveAndReuse() throws Exception {
        play("""
                C: a LOGIN conv11 pw-conv11
                S~ a OK .*
                C: b APPEND INBOX {15+}
                C: Subject: a<CRLF><CRLF>a
                S~ b OK .*
                C: c APPEND INBOX (\\Flagged) {15+}
                C: Subject: b<CRLF><CRLF>b
                S~ c OK .*
                C: d SELECT INBOX
                S* d OK .*
                C: e SEARCH RETURN (SAVE) FLAGGED
                S: e OK SEARCH completed
                C: f FETCH $ (UID)
                S: * 2 FETCH (UID 2)
                S: f OK FETCH completed
                C: g UID SEARCH OR FLAGGED SUBJECT a
                S: * SEARCH 1 2
                S: g OK SEARCH completed
                C: h SORT (REVERSE SUBJECT) UTF-8 ALL
                S: * SORT 2 1
                S: h OK SORT completed
                C: i THREAD ORDEREDSUBJECT UTF-8 ALL
                S: * THREAD (1)(2)
                S: i OK THREAD completed
                """);
    }

    @Test void errorPathsOfMailboxAndMessageCommands() throws Exception {
        play("""
                C: a LOGIN conv12 pw-conv12
                S~ a OK .*
                C: b RENAME Nowhere Somewhere
                S~ b NO \\[NONEXISTENT\\] .*
                C: c RENAME Drafts Sent
                S~ c NO \\[ALREADYEXISTS\\] .*
                C: d DELETE Nowhere
                S~ d NO \\[NONEXISTENT\\] .*
                C: e ENABLE NOSUCHTHING
                S: * ENABLED
                S: e OK ENABLE completed
                C: f SELECT INBOX (QRESYNC (1 1))
                S: f BAD Enable QRESYNC first
                C: g APPEND INBOX (\\Bogus) {15+}
                C: Subject: x<CRLF><CRLF>x
                S: g BAD Invalid flag: not a system flag: \\Bogus
                C: h APPEND INBOX "99-Foo-2024 00:00:00 +0000" {15+}
                C: Subject: x<CRLF><CRLF>x
                S: h BAD Invalid month Foo
                C: i EXAMINE INBOX
                S* i OK \\[READ-ONLY\\] EXAMINE completed
                C: j EXPUNGE
                S: j NO [READ-ONLY] Mailbox is read-only
                C: k MOVE 1:* Trash
                S: k NO [READ-ONLY] Mailbox is read-only
                C: l COPY 1 Trash
                S: l BAD Invalid message sequence number
                C: m UID COPY 1:* Trash
                S: m OK COPY completed
                C: n STORE 1 FLAGS (\\Seen)
                S: n NO [READ-ONLY] Mailbox is read-only
                C: o SEARCH BOGUSKEY
                S: o BAD Unknown search key BOGUSKEY
                C: p FETCH 1 (BOGUS)
                S: p BAD Unknown FETCH item BOGUS
                C: q SORT (BOGUS) UTF-8 ALL
                S: q BAD Unknown sort criterion BOGUS
                C: r IDLE
                S: + idling
                C: NOTDONE
                S: r BAD Expected DONE
                C: s COMPRESS BOGUS
                S: s BAD Unknown compression mechanism
                C: t AUTHENTICATE PLAIN
                S: t BAD Already logged in
                C: u STARTTLS
                S: u BAD Already logged in
                """);
    }
}
