// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static dev.cairn.imap.Scripts.append;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SEARCH keys as RFC 9051 §6.4.4 defines them: dates of the Date: header and the internal date, addresses of the envelope. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SearchConformanceIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static void play(String script) throws Exception { Conversation.play(server.port(), script); }

    /**
     * RFC 9051 §6.4.4 SENTBEFORE, SENTON, SENTSINCE: the Date: header "disregarding time and
     * timezone", that is the calendar date it states, not that instant's date in UTC. Without a
     * usable Date: header the internal date stands in, as for SORT (RFC 5256 §2.2): its calendar date
     * in the zone it was given in, as for ON.
     */
    @Test void sentDatesAreTheCalendarDateTheDateHeaderStates() throws Exception {
        play("C: a LOGIN sent1 pw-sent1\nS~ a OK .*\n"
                + append("b1", "INBOX", null, "Date: Sat, 24 Mar 2007 23:00:00 +0200", "", "1") // 24th; UTC 24th
                + append("b2", "INBOX", null, "Date: Sun, 25 Mar 2007 00:00:00 +0200", "", "2") // 25th; UTC 24th
                + append("b3", "INBOX", null, "Date: Sun, 25 Mar 2007 23:30:00 -0500", "", "3") // 25th; UTC 26th
                + append("b4", "INBOX", null, "Date: 26 Mar 2007 01:00:00 +0300", "", "4") // no day name; UTC 25th
                + append("b5", "INBOX", null, "Date: Mon, 26 Mar 07 09:00:00 +1400 (two-digit year)", "", "5") // UTC 25th
                + append("b6", "INBOX", "27-Mar-2007 01:00:00 +0200", "Subject: no date", "", "6") // internal date 27th; UTC 26th
                + append("b7", "INBOX", "28-Mar-2007 12:00:00 +0000", "Date: not a date at all", "", "7")
                + """
                C: c SELECT INBOX
                S* c OK .*
                C: d SEARCH SENTON 24-Mar-2007
                S: * SEARCH 1
                S: d OK SEARCH completed
                C: e SEARCH SENTON 25-Mar-2007
                S: * SEARCH 2 3
                S: e OK SEARCH completed
                C: f SEARCH SENTON 26-Mar-2007
                S: * SEARCH 4 5
                S: f OK SEARCH completed
                C: f2 SEARCH SENTON 27-Mar-2007
                S: * SEARCH 6
                S: f2 OK SEARCH completed
                C: g SEARCH SENTBEFORE 25-Mar-2007
                S: * SEARCH 1
                S: g OK SEARCH completed
                C: h SEARCH SENTBEFORE 26-Mar-2007
                S: * SEARCH 1 2 3
                S: h OK SEARCH completed
                C: i SEARCH SENTSINCE 26-Mar-2007
                S: * SEARCH 4 5 6 7
                S: i OK SEARCH completed
                C: j SEARCH SENTSINCE 25-Mar-2007 SENTBEFORE 26-Mar-2007
                S: * SEARCH 2 3
                S: j OK SEARCH completed
                C: k SEARCH SENTON 28-Mar-2007
                S: * SEARCH 7
                S: k OK SEARCH completed
                C: l SEARCH NOT SENTON 25-Mar-2007
                S: * SEARCH 1 4 5 6 7
                S: l OK SEARCH completed
                """);
    }

    /**
     * RFC 9051 §6.3.12: APPEND's date-time becomes the internal date, zone included; §7.5.2 FETCH
     * INTERNALDATE shows it in that zone; §6.4.4 BEFORE, ON, SINCE take its date "disregarding time
     * and timezone", that is the calendar date in the zone it was given in, not the UTC date of the
     * instant. RFC 5256 §3 SORT ARRIVAL orders the instants. All of it after a restart too: the
     * zone is stored, not held by the session.
     */
    @Test void internalDatesKeepTheZoneAppendGaveThemAcrossARestart(@TempDir Path own) throws Exception {
        String fetchAndSearch = """
                C: c SELECT INBOX
                S* c OK .*
                C: d FETCH 1:3 INTERNALDATE
                S: * 1 FETCH (INTERNALDATE "25-Mar-2007 23:30:00 -0500")
                S: * 2 FETCH (INTERNALDATE "25-Mar-2007 00:30:00 +0200")
                S: * 3 FETCH (INTERNALDATE "26-Mar-2007 01:00:00 +0000")
                S: d OK FETCH completed
                C: e SEARCH ON 25-Mar-2007
                S: * SEARCH 1 2
                S: e OK SEARCH completed
                C: f SEARCH ON 26-Mar-2007
                S: * SEARCH 3
                S: f OK SEARCH completed
                C: g SEARCH ON 24-Mar-2007
                S: * SEARCH
                S: g OK SEARCH completed
                C: h SEARCH BEFORE 26-Mar-2007
                S: * SEARCH 1 2
                S: h OK SEARCH completed
                C: i SEARCH SINCE 26-Mar-2007
                S: * SEARCH 3
                S: i OK SEARCH completed
                C: j SORT (ARRIVAL) UTF-8 ALL
                S: * SORT 2 3 1
                S: j OK SORT completed
                """;
        try (TestImapServer first = new TestImapServer(own)) {
            Conversation.play(first.port(), "C: a LOGIN intdate1 pw-intdate1\nS~ a OK .*\n"
                    + append("b1", "INBOX", "25-Mar-2007 23:30:00 -0500", "Subject: x", "", "1") // UTC: 26th 04:30
                    + append("b2", "INBOX", "25-Mar-2007 00:30:00 +0200", "Subject: y", "", "2") // UTC: 24th 22:30
                    + append("b3", "INBOX", "26-Mar-2007 01:00:00 +0000", "Subject: z", "", "3")
                    + fetchAndSearch);
        }
        try (TestImapServer again = new TestImapServer(own)) {
            Conversation.play(again.port(), "C: a LOGIN intdate1 pw-intdate1\nS~ a OK .*\n" + fetchAndSearch);
        }
    }

    /**
     * RFC 9051 §6.4.4 FROM, TO, CC, BCC: "the specified string in the envelope structure's"
     * field: the parsed addresses (RFC 5322 §3.4) with comments and folding whitespace gone,
     * display names decoded, group names included; not the header's raw text.
     */
    @Test void addressKeysSearchTheEnvelopesAddresses() throws Exception {
        play("C: a LOGIN addr1 pw-addr1\nS~ a OK .*\n"
                + append("b1", "INBOX", null, "From: user-from@domain.org", "To: user-to@domain.org", "", "1")
                + append("b2", "INBOX", null, "From: Real From <user-from@domain.org>", "Cc: Carbon <cc@domain.org>", "", "2")
                + append("b3", "INBOX", null, "From: <user-from (comment)@ (comment) domain.org>", "", "3")
                + append("b4", "INBOX", null, "From: user-from@domain.org (Real From)", "Bcc: hidden@domain.org (Hidden One)", "", "4")
                + append("b5", "INBOX", null, "From: \"Doe, John\" <john.doe@example.org>", "", "5")
                + append("b6", "INBOX", null, "To: team: a@x.org, b@y.org;, other: c@z.org;", "", "6")
                + append("b7", "INBOX", null, "From: =?UTF-8?Q?J=C3=B6rg?= <jorg@example.com>", "", "7")
                + append("b8", "INBOX", null, "From: user . dotted @ example.org", "", "8")
                + """
                C: c SELECT INBOX
                S* c OK .*
                C: d SEARCH FROM user-from@domain.org
                S: * SEARCH 1 2 3 4
                S: d OK SEARCH completed
                C: e SEARCH FROM "real from"
                S: * SEARCH 2 4
                S: e OK SEARCH completed
                C: f SEARCH FROM comment
                S: * SEARCH
                S: f OK SEARCH completed
                C: g SEARCH FROM "Doe, John"
                S: * SEARCH 5
                S: g OK SEARCH completed
                C: h SEARCH TO other
                S: * SEARCH 6
                S: h OK SEARCH completed
                C: i SEARCH TO c@z.org
                S: * SEARCH 6
                S: i OK SEARCH completed
                C: j SEARCH CHARSET UTF-8 FROM {5+}
                C: jörg
                S: * SEARCH 7
                S: j OK SEARCH completed
                C: k SEARCH FROM user.dotted@example.org
                S: * SEARCH 8
                S: k OK SEARCH completed
                C: l SEARCH BCC "hidden one"
                S: * SEARCH 4
                S: l OK SEARCH completed
                C: m SEARCH CC carbon
                S: * SEARCH 2
                S: m OK SEARCH completed
                C: n SEARCH HEADER FROM ""
                S: * SEARCH 1 2 3 4 5 7 8
                S: n OK SEARCH completed
                C: o SEARCH HEADER TO ""
                S: * SEARCH 1 6
                S: o OK SEARCH completed
                C: p SEARCH FROM user-from1
                S: * SEARCH
                S: p OK SEARCH completed
                """);
    }

    /**
     * RFC 7162 §3.1.5: a SEARCH with a MODSEQ key answers "(MODSEQ n)", the highest mod-sequence
     * of the messages it returns, none when it returns none or has no MODSEQ key. RFC 4731 §3.2
     * for ESEARCH: with MIN or MAX alone it is the MODSEQ of the message returned (the higher of
     * the two with both), with ALL or COUNT the highest of all matches.
     */
    @Test void modSeqSearchesSayTheModSeqOfWhatTheyReturn() throws Exception {
        try (TestClient a = new TestClient("a", server.port(), "modseq1")) {
            for (String s : List.of("one", "two", "three")) a.append("INBOX", "", s);
            a.command("SELECT INBOX");
            a.command("STORE 2 +FLAGS.SILENT (\\Flagged)"); // message 2 now has the highest MODSEQ
            Map<Integer, Long> modSeq = new HashMap<>();
            for (String line : TestClient.untagged(a.command("FETCH 1:3 (MODSEQ)"))) {
                var m = java.util.regex.Pattern.compile("\\* (\\d) FETCH \\(MODSEQ \\((\\d+)\\)\\)").matcher(line);
                if (m.matches()) modSeq.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
            }
            long m1 = modSeq.get(1), m2 = modSeq.get(2), m3 = modSeq.get(3);
            assertThat(m1).as(a.transcript()).isLessThan(m3);
            assertThat(m3).as(a.transcript()).isLessThan(m2);
            assertThat(TestClient.untagged(a.command("SEARCH MODSEQ 1"))).as(a.transcript()).containsExactly("* SEARCH 1 2 3 (MODSEQ " + m2 + ")");
            assertThat(TestClient.untagged(a.command("SEARCH MODSEQ 1 UNFLAGGED"))).as(a.transcript()).containsExactly("* SEARCH 1 3 (MODSEQ " + m3 + ")");
            assertThat(TestClient.untagged(a.command("SEARCH MODSEQ " + (m2 + 1)))).as(a.transcript()).containsExactly("* SEARCH");
            assertThat(TestClient.untagged(a.command("SEARCH FLAGGED"))).as(a.transcript()).containsExactly("* SEARCH 2");
            assertThat(TestClient.untagged(a.command("SEARCH RETURN (MIN) MODSEQ 1"))).as(a.transcript())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).endsWith(") MIN 1 MODSEQ " + m1);
            assertThat(TestClient.untagged(a.command("SEARCH RETURN (MAX) MODSEQ 1"))).as(a.transcript())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).endsWith(") MAX 3 MODSEQ " + m3);
            assertThat(TestClient.untagged(a.command("UID SEARCH RETURN (MIN MAX) MODSEQ 1"))).as(a.transcript())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).endsWith(") UID MIN 1 MAX 3 MODSEQ " + m3);
            assertThat(TestClient.untagged(a.command("SEARCH RETURN (MIN) MODSEQ 1 FLAGGED"))).as(a.transcript())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).endsWith(") MIN 2 MODSEQ " + m2);
            assertThat(TestClient.untagged(a.command("SEARCH RETURN (MAX COUNT) MODSEQ 1"))).as(a.transcript())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).endsWith(") MAX 3 COUNT 3 MODSEQ " + m2);
            assertThat(TestClient.untagged(a.command("SEARCH RETURN (ALL) MODSEQ 1"))).as(a.transcript())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).endsWith(") ALL 1:3 MODSEQ " + m2);
            assertThat(TestClient.untagged(a.command("SEARCH RETURN (COUNT) MODSEQ " + (m2 + 1)))).as(a.transcript())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).endsWith(") COUNT 0");
        }
    }
}
