// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Conversations for the extensions and the commands not covered in {@link ImapConversationIT}. */
class ImapExtensionsIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static void play(String script) throws Exception { Conversation.play(server.port(), script); }

    private static String login(String user) {
        return "C: a LOGIN " + user + " pw-" + user + "\nS~ a OK .*\n";
    }

    @Test void subscriptionsListExtendedListStatusSpecialUse() throws Exception {
        play(login("ext1") + """
                C: b UNSUBSCRIBE Junk
                S: b OK UNSUBSCRIBE completed
                C: c LSUB "" *
                S: * LSUB () "/" "Archive"
                S: * LSUB () "/" "Drafts"
                S: * LSUB () "/" "INBOX"
                S: * LSUB () "/" "Sent"
                S: * LSUB () "/" "Trash"
                S: c OK LSUB completed
                C: d LIST (SUBSCRIBED) "" "S*" RETURN (STATUS (MESSAGES UIDNEXT))
                S: * LIST (\\HasNoChildren \\Subscribed \\Sent) "/" "Sent"
                S: * STATUS "Sent" (MESSAGES 0 UIDNEXT 1)
                S: d OK LIST completed
                C: e CREATE MySent (USE (\\Sent))
                S~ e OK .*
                C: f CREATE Bad (USE (\\Nonsense))
                S: f NO [USEATTR] Unsupported special-use attribute \\Nonsense
                C: g LIST (SPECIAL-USE) "" (M* T*)
                S: * LIST (\\HasNoChildren \\Sent) "/" "MySent"
                S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
                S: g OK LIST completed
                C: h LIST "" ""
                S: * LIST (\\Noselect) "/" ""
                S: h OK LIST completed
                C: i LIST (BOGUS) "" *
                S: i BAD Unknown LIST selection option BOGUS
                C: j SUBSCRIBE MySent
                S: j OK SUBSCRIBE completed
                C: k LIST "" MySent RETURN (SUBSCRIBED CHILDREN)
                S: * LIST (\\HasNoChildren \\Subscribed \\Sent) "/" "MySent"
                S: k OK LIST completed
                C: l STATUS INBOX (BOGUS)
                S: l BAD Unknown STATUS item BOGUS
                C: m STATUS Nowhere (MESSAGES)
                S: m NO [NONEXISTENT] No such mailbox
                C: n STATUS INBOX (MAILBOXID APPENDLIMIT DELETED SIZE RECENT)
                S~ \\* STATUS "INBOX" \\(MAILBOXID \\([A-Za-z0-9_-]+\\) APPENDLIMIT \\d+ DELETED 0 SIZE 0 RECENT 0\\)
                S: n OK STATUS completed
                """);
    }

    @Test void multiappendBinaryObjectIdSaveDateWithin() throws Exception {
        String m1 = "Subject: one<CRLF>Content-Transfer-Encoding: base64<CRLF><CRLF>aGVsbG8=<CRLF>";
        String m2 = "Subject: two<CRLF><CRLF>two<CRLF>";
        int n1 = m1.replace("<CRLF>", "\r\n").length(), n2 = m2.replace("<CRLF>", "\r\n").length();
        play(login("ext2") + """
                C: b APPEND INBOX (\\Seen) {%d+}
                C: %s (\\Flagged) {%d+}
                C: %s
                S~ b OK \\[APPENDUID \\d+ 1:2\\] APPEND completed
                C: c SELECT INBOX
                S* c OK .*
                C: d FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])
                S: * 1 FETCH (BINARY.SIZE[1] 5 BINARY[1] {5}
                S: hello)
                S: d OK FETCH completed
                C: e SEARCH YOUNGER 3600
                S: * SEARCH 1 2
                S: e OK SEARCH completed
                C: f SEARCH OLDER 3600
                S: * SEARCH
                S: f OK SEARCH completed
                C: g FETCH 2 (EMAILID THREADID SAVEDATE)
                S~ \\* 2 FETCH \\(EMAILID \\(M[0-9a-f]+\\) THREADID (NIL|\\([A-Za-z0-9_-]+\\)) SAVEDATE "\\d\\d-\\w\\w\\w-\\d{4} \\d\\d:\\d\\d:\\d\\d \\+0000"\\)
                S: g OK FETCH completed
                C: h SEARCH SAVEDATESUPPORTED SAVEDSINCE 1-Jan-2020 FLAGGED
                S: * SEARCH 2
                S: h OK SEARCH completed
                C: i SEARCH CHARSET KOI8-QQ ALL
                S: i NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset
                C: j UID SEARCH RETURN (ALL SAVE) SEEN
                S: * ESEARCH (TAG "j") UID ALL 1
                S: j OK SEARCH completed
                C: k UID FETCH $ (FLAGS)
                S: * 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))
                S: k OK FETCH completed
                C: l FETCH 1 (BODY[]<0.12> BODYSTRUCTURE)
                S: * 1 FETCH (BODY[]<0> {12}
                S: Subject: one BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "BASE64" 10 1 NIL NIL NIL NIL))
                S: l OK FETCH completed
                """.formatted(n1, m1, n2, m2));
    }

    @Test void threadByReferences() throws Exception {
        String a = "Message-ID: <a@x><CRLF>Subject: topic<CRLF>Date: Mon, 2 Nov 2026 10:00:00 +0000<CRLF><CRLF>a<CRLF>";
        String b = "Message-ID: <b@x><CRLF>In-Reply-To: <a@x><CRLF>References: <a@x><CRLF>Subject: Re: topic<CRLF>Date: Mon, 2 Nov 2026 11:00:00 +0000<CRLF><CRLF>b<CRLF>";
        String c = "Message-ID: <c@x><CRLF>References: <a@x> <b@x><CRLF>Subject: Re: topic<CRLF>Date: Mon, 2 Nov 2026 12:00:00 +0000<CRLF><CRLF>c<CRLF>";
        String d = "Message-ID: <d@x><CRLF>Subject: other<CRLF>Date: Mon, 2 Nov 2026 09:00:00 +0000<CRLF><CRLF>d<CRLF>";
        // no References: joined to d's thread by subject alone (RFC 5256 REFERENCES step 5)
        String e = "Message-ID: <e@x><CRLF>Subject: Re: other<CRLF>Date: Mon, 2 Nov 2026 13:00:00 +0000<CRLF><CRLF>e<CRLF>";
        StringBuilder script = new StringBuilder(login("ext3"));
        int i = 0;
        for (String m : new String[] {a, b, c, d, e}) {
            script.append("C: x").append(i++).append(" APPEND INBOX {").append(m.replace("<CRLF>", "\r\n").length()).append("+}\n")
                    .append("C: ").append(m).append("\nS~ x.* OK .*\n");
        }
        script.append("""
                C: b SELECT INBOX
                S* b OK .*
                C: c THREAD REFERENCES UTF-8 ALL
                S: * THREAD (4 5)(1 2 3)
                S: c OK THREAD completed
                C: d THREAD ORDEREDSUBJECT UTF-8 ALL
                S: * THREAD (4 5)(1 (2)(3))
                S: d OK THREAD completed
                C: e SORT (DATE) UTF-8 ALL
                S: * SORT 4 1 2 3 5
                S: e OK SORT completed
                C: f UID SORT (REVERSE ARRIVAL) UTF-8 SUBJECT topic
                S: * SORT 3 2 1
                S: f OK SORT completed
                C: g THREAD BOGUS UTF-8 ALL
                S: g BAD Unknown threading algorithm BOGUS
                """);
        play(script.toString());
    }

    @Test void closeUnselectCheckAclQuota() throws Exception {
        play(login("ext4") + """
                C: b APPEND INBOX {15+}
                C: Subject: x<CRLF><CRLF>x
                S~ b OK .*
                C: c UNSELECT
                S: c BAD No mailbox selected
                C: d SELECT INBOX
                S* d OK .*
                C: e CHECK
                S: e OK CHECK completed
                C: f STORE 1 +FLAGS.SILENT (\\Deleted)
                S: f OK STORE completed
                C: g CLOSE
                S: g OK CLOSE completed
                C: h STATUS INBOX (MESSAGES)
                S: * STATUS "INBOX" (MESSAGES 0)
                S: h OK STATUS completed
                C: i SETACL INBOX bob lrs
                S: i OK ACL updated
                C: j SETACL INBOX bob -s
                S: j OK ACL updated
                C: k GETACL INBOX
                S: * ACL "INBOX" ext4 lrswipkxtea bob lr
                S: k OK GETACL completed
                C: l LISTRIGHTS INBOX bob
                S: * LISTRIGHTS "INBOX" bob "" l r s w i p k x t e a
                S: l OK LISTRIGHTS completed
                C: m DELETEACL INBOX bob
                S: m OK ACL updated
                C: n SETACL INBOX ext4 l
                S: n NO [CANNOT] The owner's rights cannot be changed
                C: o GETACL Nowhere
                S~ o NO \\[NONEXISTENT\\] .*
                C: p SETQUOTA "" (STORAGE 10)
                S: p NO [NOPERM] Quotas are set by the administrator
                C: q GETQUOTA ""
                S: * QUOTA "" ()
                S: q OK GETQUOTA completed
                C: r GETQUOTA other
                S: r NO [NONEXISTENT] No such quota root
                """);
    }

    @Test void utf8AcceptNamesAndAppend() throws Exception {
        String m = "Subject: Grüße<CRLF><CRLF>ü<CRLF>";
        int n = m.replace("<CRLF>", "\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        play(login("ext5") + """
                C: b ENABLE UTF8=ACCEPT
                S: * ENABLED UTF8=ACCEPT
                S: b OK ENABLE completed
                C: c CREATE "Entwürfe/Ärger"
                S~ c OK .*
                C: d LIST "" "Entw*"
                S: * LIST (\\HasChildren) "/" "Entwürfe"
                S: * LIST (\\HasNoChildren) "/" "Entwürfe/Ärger"
                S: d OK LIST completed
                C: e APPEND "Entwürfe/Ärger" UTF8 (~{%d+}
                C: %s)
                S~ e OK \\[APPENDUID \\d+ 1\\] APPEND completed
                C: f EXAMINE "Entwürfe/Ärger"
                S* f OK .*
                C: g SEARCH SUBJECT "Grüße"
                S: * SEARCH 1
                S: g OK SEARCH completed
                """.formatted(n, m));
    }
}
