// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.ParsedMessage;
import dev.cairn.store.ParsedMessage.Address;
import dev.cairn.store.ParsedMessage.BodyPart;
import dev.cairn.store.ParsedMessage.Parameter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class MimeParserTest {
    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static String slice(byte[] m, long from, long to) {
        return new String(m, (int) from, (int) (to - from), StandardCharsets.UTF_8);
    }

    static ParsedMessage roundTrip(byte[] m) {
        ParsedMessage p = MimeParser.parse(m);
        ParsedMessage q = ParsedCodec.decode(ParsedCodec.encode(p));
        assertThat(q).isEqualTo(p);
        return p;
    }

    @Test void simpleMessage() {
        byte[] m = b("Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
                + "From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
                + "Subject: afternoon meeting\r\n"
                + "To: mooch@owatagu.siam.edu.example\r\n"
                + "Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
                + "\r\n"
                + "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n");
        ParsedMessage p = roundTrip(m);
        var e = p.envelope();
        assertThat(e.date()).isEqualTo("Mon, 7 Feb 1994 21:52:25 -0800 (PST)");
        assertThat(e.subject()).isEqualTo("afternoon meeting");
        assertThat(e.from()).containsExactly(new Address("Fred Foobar", null, "foobar", "Blurdybloop.example"));
        assertThat(e.sender()).isEqualTo(e.from());
        assertThat(e.replyTo()).isEqualTo(e.from());
        assertThat(e.to()).containsExactly(new Address(null, null, "mooch", "owatagu.siam.edu.example"));
        assertThat(e.cc()).isNull();
        assertThat(e.messageId()).isEqualTo("<B27397-0100000@Blurdybloop.example>");
        assertThat(p.sentDate()).isEqualTo(Instant.parse("1994-02-08T05:52:25Z"));
        BodyPart s = p.structure();
        assertThat(s.type()).isEqualTo("text");
        assertThat(s.subtype()).isEqualTo("plain");
        assertThat(s.parameters()).containsExactly(new Parameter("charset", "US-ASCII"));
        assertThat(s.headerOffset()).isZero();
        assertThat(s.endOffset()).isEqualTo(m.length);
        assertThat(slice(m, s.bodyOffset(), s.endOffset())).isEqualTo("Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n");
        assertThat(s.size()).isEqualTo(s.endOffset() - s.bodyOffset());
        assertThat(s.lines()).isEqualTo(1);
        assertThat(s.encoding()).isEqualTo("7BIT");
    }

    @Test void multipartOffsetsSliceExactly() {
        String m = "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
                + "preamble\r\n"
                + "--XX\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                + "part one\r\nline two\r\n"
                + "--XX\r\n"
                + "Content-Type: multipart/alternative; boundary=YY\r\n\r\n"
                + "--YY\r\n\r\nimplicit text\r\n"
                + "--YY\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>x</p>\r\n"
                + "--YY--\r\n"
                + "--XX\r\n"
                + "Content-Type: message/rfc822\r\n\r\n"
                + "Subject: inner\r\nFrom: c@d.example\r\n\r\ninner body\r\n"
                + "--XX--\r\n"
                + "epilogue\r\n";
        byte[] bytes = b(m);
        ParsedMessage p = roundTrip(bytes);
        BodyPart root = p.structure();
        assertThat(root.isMultipart()).isTrue();
        assertThat(root.children()).hasSize(3);
        BodyPart one = root.children().get(0);
        assertThat(slice(bytes, one.headerOffset(), one.bodyOffset())).isEqualTo("Content-Type: text/plain; charset=utf-8\r\n\r\n");
        assertThat(slice(bytes, one.bodyOffset(), one.endOffset())).isEqualTo("part one\r\nline two");
        assertThat(one.lines()).isEqualTo(2);
        BodyPart alt = root.children().get(1);
        assertThat(alt.subtype()).isEqualTo("alternative");
        assertThat(alt.children()).hasSize(2);
        assertThat(alt.children().get(0).type()).isEqualTo("text");
        assertThat(slice(bytes, alt.children().get(0).bodyOffset(), alt.children().get(0).endOffset())).isEqualTo("implicit text");
        assertThat(alt.children().get(1).subtype()).isEqualTo("html");
        assertThat(alt.children().get(1).encoding()).isEqualTo("QUOTED-PRINTABLE");
        assertThat(slice(bytes, alt.children().get(1).bodyOffset(), alt.children().get(1).endOffset())).isEqualTo("<p>x</p>");
        BodyPart msg = root.children().get(2);
        assertThat(msg.isMessage()).isTrue();
        assertThat(msg.embeddedEnvelope().subject()).isEqualTo("inner");
        assertThat(msg.embedded().type()).isEqualTo("text");
        assertThat(slice(bytes, msg.embedded().bodyOffset(), msg.embedded().endOffset())).isEqualTo("inner body\r\n".substring(0, 10));
        assertThat(msg.lines()).isEqualTo(4); // Subject, From, empty line, body (its CRLF belongs to the delimiter)
    }

    @Test void addressesGroupsAndEncodedWordsStayRaw() {
        byte[] m = b("From: =?UTF-8?Q?J=C3=B6rg?= <jorg@example.com>\r\n"
                + "To: undisclosed-recipients:;\r\n"
                + "Cc: Team: \"Smith, John\" <john@x.example>, bob@y.example;, carol@z.example (Carol)\r\n"
                + "Bcc: <@route.example:dave@w.example>\r\n"
                + "Reply-To: \r\n"
                + "\r\nbody");
        var e = roundTrip(m).envelope();
        assertThat(e.from()).containsExactly(new Address("=?UTF-8?Q?J=C3=B6rg?=", null, "jorg", "example.com"));
        assertThat(e.replyTo()).isEqualTo(e.from());
        assertThat(e.to()).containsExactly(new Address(null, null, "undisclosed-recipients", null), new Address(null, null, null, null));
        assertThat(e.cc()).containsExactly(
                new Address(null, null, "Team", null),
                new Address("Smith, John", null, "john", "x.example"),
                new Address(null, null, "bob", "y.example"),
                new Address(null, null, null, null),
                new Address("Carol", null, "carol", "z.example")); // a bare addr-spec's trailing comment is its name
        assertThat(e.bcc()).containsExactly(new Address(null, "@route.example", "dave", "w.example"));
    }

    @Test void rfc2231ParametersAndDisposition() {
        byte[] m = b("Content-Type: application/octet-stream;\r\n"
                + " name*0*=utf-8''%E2%82%AC%20rates;\r\n name*1=\".pdf\"\r\n"
                + "Content-Disposition: attachment; filename*=iso-8859-1'en'%A3%20rate.txt; size=12\r\n"
                + "Content-Language: en, de (German)\r\n"
                + "Content-Location: http://example.com/x\r\n"
                + "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
                + "Content-ID: <part1@example>\r\n"
                + "Content-Description: a file\r\n"
                + "\r\nAAAA");
        BodyPart s = roundTrip(m).structure();
        assertThat(s.parameters()).containsExactly(new Parameter("name", "\u20AC rates.pdf"));
        assertThat(s.disposition().type()).isEqualTo("attachment");
        assertThat(s.disposition().parameters()).containsExactly(new Parameter("filename", "\u00A3 rate.txt"), new Parameter("size", "12"));
        assertThat(s.language()).containsExactly("en", "de");
        assertThat(s.location()).isEqualTo("http://example.com/x");
        assertThat(s.md5()).isEqualTo("Q2hlY2sgSW50ZWdyaXR5IQ==");
        assertThat(s.id()).isEqualTo("<part1@example>");
        assertThat(s.description()).isEqualTo("a file");
        assertThat(s.lines()).isEqualTo(-1);
    }

    /** Found by ContentTypeFuzzTest: "*=x" made a parameter with an empty name, sent as ("" "x") in BODYSTRUCTURE. */
    @Test void aSectionOfNoParameterIsDropped() {
        BodyPart s = roundTrip(b("Content-Type: text/plain; *=x; *0*=y; charset=utf-8\r\n"
                + "Content-Disposition: inline; *1=z\r\n\r\nbody")).structure();
        assertThat(s.parameters()).containsExactly(new Parameter("charset", "utf-8"));
        assertThat(s.disposition().parameters()).isEmpty();
    }

    @Test void referencesAndInReplyTo() {
        ParsedMessage p = roundTrip(b("References: <a@x> <b@x>\r\n\t<c@x>\r\nIn-Reply-To: <c@x> (comment)\r\nMessage-ID: <d@x>\r\n\r\n"));
        assertThat(p.references()).containsExactly("<a@x>", "<b@x>", "<c@x>");
        assertThat(p.envelope().inReplyTo()).isEqualTo("<c@x> (comment)");
    }

    @Test void malformedInputNeverFails() {
        List<String> nasty = List.of(
                "",
                "\r\n",
                "no header at all, just text",
                "Subject: no blank line and no body",
                "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nunterminated",
                "Content-Type: multipart/mixed\r\n\r\nno boundary parameter",
                "Content-Type: multipart/mixed; boundary=zz\r\n\r\nno parts at all",
                "Content-Type: /\r\n\r\nx",
                "Content-Type: text/plain; charset*0*=bogus'';name*=%%%\r\n\r\nx",
                "From: <<<@@@>>>, \"unterminated\r\nTo: :;,;,:\r\nCc: (((\r\n\r\n",
                "Date: yesterday-ish\r\nSubject: \u00ff\u00fe junk \u0000\r\n\r\n\u0080\u0081",
                "Content-Type: message/rfc822\r\n\r\n",
                "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: in digest\r\n\r\nx\r\n--d--\r\n",
                "Content-Type: text/plain\n\nLF only\nline ends\n");
        for (String n : nasty) {
            byte[] m = n.getBytes(StandardCharsets.ISO_8859_1);
            ParsedMessage p = roundTrip(m);
            checkOffsets(p.structure(), 0, m.length);
        }
        ParsedMessage digest = MimeParser.parse(b(nasty.get(12)));
        assertThat(digest.structure().children().getFirst().isMessage()).isTrue();
        ParsedMessage noBlank = MimeParser.parse(b(nasty.get(3)));
        assertThat(noBlank.envelope().subject()).isEqualTo("no blank line and no body");
        assertThat(noBlank.structure().size()).isZero();
        ParsedMessage unterminated = MimeParser.parse(b(nasty.get(4)));
        assertThat(unterminated.structure().children()).hasSize(1);
        assertThat(unterminated.structure().children().getFirst().endOffset()).isEqualTo(nasty.get(4).length());
    }

    @Test void deepNestingIsBounded() {
        StringBuilder m = new StringBuilder();
        int depth = 500;
        for (int i = 0; i < depth; i++) m.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
        m.append("Content-Type: text/plain\r\n\r\ndeep\r\n");
        for (int i = depth - 1; i >= 0; i--) m.append("--b").append(i).append("--\r\n");
        byte[] bytes = b(m.toString());
        ParsedMessage p = roundTrip(bytes);
        int levels = 0;
        for (BodyPart x = p.structure(); x.isMultipart() && !x.children().isEmpty(); x = x.children().getFirst()) levels++;
        assertThat(levels).isLessThanOrEqualTo(MimeParser.MAX_DEPTH);
        checkOffsets(p.structure(), 0, bytes.length);

        StringBuilder r = new StringBuilder();
        for (int i = 0; i < depth; i++) r.append("Content-Type: message/rfc822\r\n\r\n");
        roundTrip(b(r.toString()));
    }

    /** A Content-Type of 200,000 parameters took minutes (a list searched per parameter); now the first 100 count. */
    @Test @Timeout(value = 10, unit = TimeUnit.SECONDS) void aFloodOfContentTypeParametersIsCappedAndLinear() {
        StringBuilder m = new StringBuilder("Content-Type: text/plain");
        for (int i = 0; i < 200_000; i++) m.append("; p").append(i).append("=v");
        m.append("\r\n\r\nbody\r\n");
        List<Parameter> parameters = MimeParser.parse(b(m.toString())).structure().parameters();
        assertThat(parameters).hasSize(ContentType.MAX_PARAMETERS);
        assertThat(parameters.getFirst()).isEqualTo(new Parameter("p0", "v"));
    }

    /**
     * Each level of nesting scans its body again: when every level is nearly the whole message,
     * the levels past {@value MimeParser#RESCANS} scans are kept opaque instead of costing
     * another pass each.
     */
    @Test void nestingThatRescansTheWholeMessageStopsAtTheScanBudget() {
        int depth = 40;
        String padding = ("x".repeat(76) + "\r\n").repeat(2_000);
        StringBuilder m = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            m.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
        }
        m.append("Content-Type: text/plain\r\n\r\n").append(padding);
        for (int i = depth - 1; i >= 0; i--) m.append("\r\n--b").append(i).append("--\r\n");
        byte[] bytes = b(m.toString());
        ParsedMessage p = roundTrip(bytes);
        int levels = 0;
        for (BodyPart x = p.structure(); x.isMultipart() && !x.children().isEmpty(); x = x.children().getFirst()) levels++;
        assertThat(levels).isBetween(MimeParser.RESCANS - 1, MimeParser.RESCANS + 1);
        checkOffsets(p.structure(), 0, bytes.length);
    }

    @Test void randomBytesNeverFail() {
        Random random = new Random(42);
        String alphabet = "Content-Type: multipart/mixed; boundary=a\r\n--a--\"<>@,;:()=*'%\t \u00e9";
        for (int round = 0; round < 2000; round++) {
            int n = random.nextInt(400);
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < n; i++) s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            byte[] m = s.toString().getBytes(StandardCharsets.UTF_8);
            ParsedMessage p = roundTrip(m);
            checkOffsets(p.structure(), 0, m.length);
        }
    }

    /** Every part's offsets are ordered and inside its parent. */
    static void checkOffsets(BodyPart p, long from, long to) {
        assertThat(p.headerOffset()).isBetween(from, to);
        assertThat(p.bodyOffset()).isBetween(p.headerOffset(), to);
        assertThat(p.endOffset()).isBetween(p.bodyOffset(), to);
        for (BodyPart c : p.children()) checkOffsets(c, p.bodyOffset(), p.endOffset());
        if (p.embedded() != null) checkOffsets(p.embedded(), p.bodyOffset(), p.endOffset());
    }
}
