// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.proxy.LmtpReplyParser.Reply;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The LMTP client's reply parser: whole replies whatever the socket's splits, and bounded. */
class LmtpReplyParserTest {
    static final String STREAM = "220 mx.test Cairn LMTP ready\r\n"
            + "250-mx.test\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n"
            + "250 2.1.0 Sender OK\r\n"
            + "550 5.1.1 <ghost@example.com> User unknown\n" // a bare LF ends a line too
            + "354\r\n"
            + "452-4.2.2 <full@example.com>\r\n452 4.2.2 Mailbox full\r\n"
            + "250 2.0.0 <b\u00e9@example.com> Saved\r\n";
    static final List<Reply> EXPECTED = List.of(
            new Reply(220, List.of("mx.test Cairn LMTP ready")),
            new Reply(250, List.of("mx.test", "PIPELINING", "SMTPUTF8")),
            new Reply(250, List.of("2.1.0 Sender OK")),
            new Reply(550, List.of("5.1.1 <ghost@example.com> User unknown")),
            new Reply(354, List.of("")),
            new Reply(452, List.of("4.2.2 <full@example.com>", "4.2.2 Mailbox full")),
            new Reply(250, List.of("2.0.0 <b\u00e9@example.com> Saved")));

    static List<Reply> parse(LmtpReplyParser parser, byte[] bytes, int... splits) throws Exception {
        List<Reply> out = new ArrayList<>();
        int from = 0;
        for (int to : splits) {
            parser.feed(bytes, from, to - from);
            for (Reply r; (r = parser.poll()) != null; ) out.add(r);
            from = to;
        }
        parser.feed(bytes, from, bytes.length - from);
        for (Reply r; (r = parser.poll()) != null; ) out.add(r);
        return out;
    }

    @Test
    void aStreamSplitAtEveryOctetGivesTheSameReplies() throws Exception {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        for (int split = 0; split <= bytes.length; split++) {
            assertThat(parse(new LmtpReplyParser(512, 10), bytes, split)).as("split at " + split).isEqualTo(EXPECTED);
        }
    }

    @Test
    void aStreamFedOctetByOctetOrInRandomPiecesGivesTheSameReplies() throws Exception {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        int[] every = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) every[i] = i;
        assertThat(parse(new LmtpReplyParser(512, 10), bytes, every)).isEqualTo(EXPECTED);
        Random random = new Random(21);
        for (int round = 0; round < 2000; round++) {
            int[] splits = random.ints(random.nextInt(8), 0, bytes.length + 1).sorted().toArray();
            assertThat(parse(new LmtpReplyParser(512, 10), bytes, splits)).as("splits %s", java.util.Arrays.toString(splits)).isEqualTo(EXPECTED);
        }
    }

    @Test
    void aReplyLineAtTheCapIsReadAndOneOctetLongerIsRefused() throws Exception {
        String atCap = "250 " + "x".repeat(100 - 4);
        assertThat(parse(new LmtpReplyParser(100, 10), (atCap + "\r\n").getBytes(StandardCharsets.US_ASCII)))
                .containsExactly(new Reply(250, List.of("x".repeat(96))));
        LmtpReplyParser parser = new LmtpReplyParser(100, 10);
        assertThatThrownBy(() -> parse(parser, (atCap + "x\r\n").getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(LmtpReplyParser.MalformedReplyException.class).hasMessageContaining("longer than 100");
        // Without a line end the cap holds as well: an endless line is not buffered.
        byte[] endless = new byte[1 << 20];
        java.util.Arrays.fill(endless, (byte) 'x');
        assertThatThrownBy(() -> new LmtpReplyParser(100, 10).feed(endless, 0, endless.length))
                .isInstanceOf(LmtpReplyParser.MalformedReplyException.class);
        assertThatThrownBy(() -> parser.feed(new byte[] {'2'}, 0, 1)).as("a broken stream stays broken")
                .isInstanceOf(LmtpReplyParser.MalformedReplyException.class);
    }

    @Test
    void aReplyOfTheLineCapIsReadAndOneLineMoreIsRefused() throws Exception {
        String three = "250-a\r\n250-b\r\n250 c\r\n";
        assertThat(parse(new LmtpReplyParser(100, 3), three.getBytes(StandardCharsets.US_ASCII)))
                .containsExactly(new Reply(250, List.of("a", "b", "c")));
        assertThatThrownBy(() -> parse(new LmtpReplyParser(100, 3), ("250-0\r\n" + three).getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(LmtpReplyParser.MalformedReplyException.class).hasMessageContaining("more than 3 lines");
    }

    @Test
    void linesThatAreNoRepliesAreRefused() {
        for (String bad : List.of("25 short\r\n", "abc text\r\n", "250x text\r\n", "650 out of range\r\n", "150 preliminary\r\n",
                "250-2.0.0 first\r\n451 4.3.0 other code\r\n", "\r\n")) {
            assertThatThrownBy(() -> parse(new LmtpReplyParser(512, 10), bad.getBytes(StandardCharsets.US_ASCII)))
                    .as(bad).isInstanceOf(LmtpReplyParser.MalformedReplyException.class);
        }
    }

    @Test
    void controlCharactersInAReplyTextCannotReachOurClient() throws Exception {
        List<Reply> r = parse(new LmtpReplyParser(512, 10), "451 4.3.0 a\u0000b\rc\u001bd\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(r.getFirst().line()).isEqualTo("451 4.3.0 a?b?c?d");
    }

    @Test
    void dotStuffingDoublesLeadingDotsAndEndsTheBody() throws Exception {
        assertThat(stuffed(".a\r\nb\r\n..c\r\n")).isEqualTo("..a\r\nb\r\n...c\r\n.\r\n");
        assertThat(stuffed("no line end")).isEqualTo("no line end\r\n.\r\n");
        assertThat(stuffed("bare\n.lf")).as("the back-end takes a bare LF as a line end").isEqualTo("bare\n..lf\r\n.\r\n");
        assertThat(stuffed("")).isEqualTo(".\r\n");
    }

    static String stuffed(String body) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LmtpClientTransaction.writeDotStuffed(new ByteArrayInputStream(body.getBytes(StandardCharsets.US_ASCII)), out);
        return out.toString(StandardCharsets.US_ASCII);
    }
}
