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

/** SORT (RFC 5256) and the DISPLAYFROM/DISPLAYTO keys (RFC 5957). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SortConformanceIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    /**
     * RFC 5256 §2.1 base subject (Re:/Fw:/Fwd: leaders, [blob] prefixes that go only while text
     * remains, "(fwd)" trailers, "[fwd: ...]" wrappers, encoded words, whitespace) compared with
     * i;ascii-casemap (§2.3: a-z fold to A-Z, so "[" and "_" sort after "Z"), ties in sequence order.
     */
    @Test void subjectsSortByBaseSubjectUnderAsciiCasemap() throws Exception {
        Conversation.play(server.port(), "C: a LOGIN sort1 pw-sort1\nS~ a OK .*\n"
                + append("b1", "INBOX", null, "Subject: Re: Re: apple", "", "1") // APPLE
                + append("b2", "INBOX", null, "Subject: Banana", "", "2") // BANANA
                + append("b3", "INBOX", null, "Subject: ~tilde", "", "3") // ~TILDE (0x7E)
                + append("b4", "INBOX", null, "Subject: [list] Fw: [x] re: apple (FWD)\t (fwd) ", "", "4") // APPLE
                + append("b5", "INBOX", null, "Subject: _under", "", "5") // _UNDER (0x5F)
                + append("b6", "INBOX", null, "Subject: [Fwd: banana]", "", "6") // BANANA
                + append("b7", "INBOX", null, "Subject: [only]", "", "7") // [ONLY]: the blob is all there is
                + append("b8", "INBOX", null, "From: nobody@example.org", "", "8") // no subject: ""
                + append("b9", "INBOX", null, "Subject: Zebra", "", "9") // ZEBRA
                + append("b10", "INBOX", null, "Subject: apple (a)", "", "10") // APPLE (A)
                + append("b11", "INBOX", null, "Subject: =?UTF-8?Q?Re:_=C3=A9t=C3=A9?=", "", "11") // été: after ~
                + append("b12", "INBOX", null, "Subject: re :  apple", "", "12") // APPLE
                + """
                C: c SELECT INBOX
                S* c OK .*
                C: d SORT (SUBJECT) UTF-8 ALL
                S: * SORT 8 1 4 12 10 2 6 9 7 5 3 11
                S: d OK SORT completed
                C: e SORT (REVERSE SUBJECT) UTF-8 ALL
                S: * SORT 11 3 5 7 9 2 6 10 1 4 12 8
                S: e OK SORT completed
                C: f UID SORT (SUBJECT) US-ASCII 1:7
                S: * SORT 1 4 2 6 7 5 3
                S: f OK SORT completed
                C: g THREAD ORDEREDSUBJECT UTF-8 1:4
                S: * THREAD (1 4)(2)(3)
                S: g OK THREAD completed
                """);
    }

    /**
     * RFC 5256 §3 FROM, TO, CC: addr-mailbox of the first ENVELOPE entry, a group's name when the
     * field starts with a group, "" when absent; RFC 5957 §3 DISPLAYFROM/DISPLAYTO: the first
     * mailbox's decoded display name, else its addr-spec. i;ascii-casemap; ties by sequence number.
     */
    @Test void addressesSortByTheFirstEntry() throws Exception {
        Conversation.play(server.port(), "C: a LOGIN sort2 pw-sort2\nS~ a OK .*\n"
                + append("b1", "INBOX", "01-Jan-2020 00:00:01 +0000", "From: Zed <alpha@x.org>", "To: team: m@x.org;", "Cc: bob@x.org", "", "1")
                + append("b2", "INBOX", "01-Jan-2020 00:00:02 +0000", "From: \"Aaron\" <zulu@x.org>", "To: Carol <carol@x.org>", "", "2")
                + append("b3", "INBOX", "01-Jan-2020 00:00:03 +0000", "From: _x@x.org", "Cc: Ann <ann@x.org>", "", "3")
                + append("b4", "INBOX", "01-Jan-2020 00:00:04 +0000", "From: BETA@x.org", "To: beta@x.org", "", "4")
                + append("b5", "INBOX", "01-Jan-2020 00:00:05 +0000", "From: undisclosed:;", "To: ALPHA@x.org", "", "5")
                + append("b6", "INBOX", "01-Jan-2020 00:00:06 +0000", "From: Alpha@other.org (=?UTF-8?Q?=C3=89mile?=)", "", "6")
                + """
                C: c SELECT INBOX
                S* c OK .*
                C: cap CAPABILITY
                S~ \\* CAPABILITY .* SORT SORT=DISPLAY .*
                S: cap OK CAPABILITY completed
                C: d SORT (FROM) UTF-8 ALL
                S: * SORT 1 6 4 5 2 3
                S: d OK SORT completed
                C: e SORT (REVERSE FROM) UTF-8 ALL
                S: * SORT 3 2 5 4 1 6
                S: e OK SORT completed
                C: f SORT (FROM REVERSE ARRIVAL) UTF-8 ALL
                S: * SORT 6 1 4 5 2 3
                S: f OK SORT completed
                C: g SORT (TO) UTF-8 ALL
                S: * SORT 3 6 5 4 2 1
                S: g OK SORT completed
                C: h SORT (CC) UTF-8 ALL
                S: * SORT 2 4 5 6 3 1
                S: h OK SORT completed
                C: i SORT (DISPLAYFROM) UTF-8 ALL
                S: * SORT 5 2 4 1 3 6
                S: i OK SORT completed
                C: j SORT (DISPLAYTO) UTF-8 ALL
                S: * SORT 3 6 5 4 2 1
                S: j OK SORT completed
                """);
    }

    /**
     * RFC 5256 §2.2: the sent date is the Date: header's instant in UTC, or the internal date when
     * it is missing or unparsable; §3: ARRIVAL is the internal date, SIZE the RFC822.SIZE, REVERSE
     * turns one key only, and messages equal under every key stay in sequence order.
     */
    @Test void datesSizesAndSeveralKeys() throws Exception {
        Conversation.play(server.port(), "C: a LOGIN sort3 pw-sort3\nS~ a OK .*\n"
                // sizes: header + CRLF + CRLF + body
                + append("b1", "INBOX", "01-Jan-2020 00:00:03 +0000", "Date: Mon, 6 Jan 2020 00:00:00 +0000", "", "x".repeat(20)) // 60 octets
                + append("b2", "INBOX", "01-Jan-2020 00:00:01 +0000", "Subject: no date here", "", "x".repeat(5)) // 30, sent = internal
                + append("b3", "INBOX", "01-Jan-2020 00:00:02 +0000", "Date: garbage", "", "x".repeat(60)) // 77, sent = internal
                + append("b4", "INBOX", "01-Jan-2020 00:00:04 +0000", "Date: Sun, 5 Jan 2020 23:00:00 -0200", "", "x") // 41, 6 Jan 01:00 UTC
                + append("b5", "INBOX", "01-Jan-2020 00:00:05 +0000", "Date: Mon, 6 Jan 2020 00:00:00 -0001", "", "x".repeat(20)) // 60, 6 Jan 00:01 UTC
                + """
                C: c SELECT INBOX
                S* c OK .*
                C: d SORT (DATE) US-ASCII ALL
                S: * SORT 2 3 1 5 4
                S: d OK SORT completed
                C: e SORT (REVERSE DATE) US-ASCII ALL
                S: * SORT 4 5 1 3 2
                S: e OK SORT completed
                C: f SORT (ARRIVAL) US-ASCII ALL
                S: * SORT 2 3 1 4 5
                S: f OK SORT completed
                C: g SORT (SIZE) US-ASCII ALL
                S: * SORT 2 4 1 5 3
                S: g OK SORT completed
                C: h SORT (REVERSE SIZE) US-ASCII ALL
                S: * SORT 3 1 5 4 2
                S: h OK SORT completed
                C: i SORT (SIZE REVERSE DATE) US-ASCII ALL
                S: * SORT 2 4 5 1 3
                S: i OK SORT completed
                C: j UID SORT (REVERSE ARRIVAL) US-ASCII SMALLER 61
                S: * SORT 5 4 1 2
                S: j OK SORT completed
                C: k SORT (SIZE) BOGUS-CHARSET ALL
                S: k NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset
                C: l SORT () US-ASCII ALL
                S~ l BAD .*
                """);
    }
}
