// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static dev.cairn.imap.Scripts.append;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** FETCH ENVELOPE (RFC 9051 §7.5.2) of the address forms RFC 5322 §3.4 allows and its obsolete forms (§4.4). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EnvelopeConformanceIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static final String DATE = "Date: Sat, 01 Feb 2007 01:02:03 +0200";

    /** The ENVELOPE of a message with only Date: and From:, whose From is {@code from} (Sender and Reply-To copy it). */
    private static String fromOnly(int msn, String from) {
        return "S: * " + msn + " FETCH (ENVELOPE (\"Sat, 01 Feb 2007 01:02:03 +0200\" NIL (" + from + ") (" + from + ") (" + from
                + ") NIL NIL NIL NIL NIL))\n";
    }

    @Test void addressesWithCommentsQuotesRoutesAndFoldingWhitespace() throws Exception {
        Conversation.play(server.port(), "C: a LOGIN env1 pw-env1\nS~ a OK .*\n"
                // RFC 822 habit: the name in a comment after a bare addr-spec; every major server makes it the name
                + append("b1", "INBOX", null, DATE, "From: user@domain (Real Name)", "", "1")
                // comments inside the angle brackets are not part of the address (RFC 5322 §3.2.2)
                + append("b2", "INBOX", null, DATE, "From: <user-from (comment)@ (comment) domain.org>", "", "2")
                // a quoted display name with a comma, a trailing comment after the angle address
                + append("b3", "INBOX", null, DATE, "From: \"Doe, John\" <john.doe@example.org> (work)", "", "3")
                // a quoted local part keeps its space, loses its quotes
                + append("b4", "INBOX", null, DATE, "From: \"quoted local\"@example.org", "", "4")
                // encoded words stay as they are in the ENVELOPE (RFC 9051 §7.5.2)
                + append("b5", "INBOX", null, DATE, "From: =?UTF-8?Q?J=C3=B6rg?= <jorg@example.com>", "", "5")
                // obsolete folding whitespace around the dots and the '@' (RFC 5322 §4.4)
                + append("b6", "INBOX", null, DATE, "From: user . name @ example . org", "", "6")
                // a source route is the ENVELOPE's adl
                + append("b7", "INBOX", null, DATE, "From: <@route:user@domain>", "", "7")
                // a comment that is blank names nobody
                + append("b8", "INBOX", null, DATE, "From: user@domain ( )", "", "8")
                // empty Sender and Reply-To take From's value (RFC 9051 §7.5.2)
                + append("b9", "INBOX", null, DATE, "From: a@b.example (Ann B)", "Sender: ", "Reply-To: ", "", "9")
                + "C: c SELECT INBOX\nS* c OK .*\nC: d FETCH 1:9 ENVELOPE\n"
                + fromOnly(1, "(\"Real Name\" NIL \"user\" \"domain\")")
                + fromOnly(2, "(NIL NIL \"user-from\" \"domain.org\")")
                + fromOnly(3, "(\"Doe, John\" NIL \"john.doe\" \"example.org\")")
                + fromOnly(4, "(NIL NIL \"quoted local\" \"example.org\")")
                + fromOnly(5, "(\"=?UTF-8?Q?J=C3=B6rg?=\" NIL \"jorg\" \"example.com\")")
                + fromOnly(6, "(NIL NIL \"user.name\" \"example.org\")")
                + fromOnly(7, "(NIL \"@route\" \"user\" \"domain\")")
                + fromOnly(8, "(NIL NIL \"user\" \"domain\")")
                + fromOnly(9, "(\"Ann B\" NIL \"a\" \"b.example\")")
                + "S: d OK FETCH completed\n");
    }

    /** RFC 9051 §7.5.2 groups: a start entry (mailbox = group name, host NIL) and an end entry of NILs, an empty group too; addresses follow each other without a space (1*address, RFC 9051 §9). */
    @Test void groupsAsStartAndEndEntries() throws Exception {
        Conversation.play(server.port(), "C: a LOGIN env2 pw-env2\nS~ a OK .*\n"
                + append("b1", "INBOX", null, DATE, "From: x@y.example",
                        "To: group: g1@d1.org, G Two <g2@d2.org>;, group2: g3@d3.org (Third);", "Cc: undisclosed-recipients:;", "", "1")
                + """
                C: c SELECT INBOX
                S* c OK .*
                C: d FETCH 1 ENVELOPE
                S: * 1 FETCH (ENVELOPE ("Sat, 01 Feb 2007 01:02:03 +0200" NIL ((NIL NIL "x" "y.example")) ((NIL NIL "x" "y.example")) ((NIL NIL "x" "y.example")) ((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")("G Two" NIL "g2" "d2.org")(NIL NIL NIL NIL)(NIL NIL "group2" NIL)("Third" NIL "g3" "d3.org")(NIL NIL NIL NIL)) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL))
                S: d OK FETCH completed
                """);
    }
}
