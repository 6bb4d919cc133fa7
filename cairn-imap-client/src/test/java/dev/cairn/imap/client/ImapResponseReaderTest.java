// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.imap.client.ImapResponse.Value;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImapResponseReaderTest {

    private static final String TRANSCRIPT = ""
        + "* OK [CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS] Dovecot ready.\r\n"
        + "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n"
        + "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted.\r\n"
        + "* 31 EXISTS\r\n"
        + "* 0 RECENT\r\n"
        + "* OK [UIDVALIDITY 1763783198] UIDs valid\r\n"
        + "* OK [UIDNEXT 42] Predicted next UID\r\n"
        + "b1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"
        + "* 3 FETCH (UID 7 FLAGS (\\Seen $Forwarded))\r\n"
        + "* 4 FETCH (UID 9 RFC822.SIZE 12 BODY[] {12}\r\nSubject: x\r\n)\r\n"
        + "* 5 FETCH (UID 10 BODY[HEADER.FIELDS (FROM TO)]<0> \"quoted \\\"body\\\"\" FLAGS ())\r\n"
        + "* 2 EXPUNGE\r\n"
        + "* LIST (\\HasNoChildren) \".\" INBOX\r\n"
        + "* LIST () \"/\" {7}\r\nSent/%*\r\n"
        + "* STATUS INBOX (MESSAGES 30 UIDNEXT 42 UNSEEN 3)\r\n"
        + "* SEARCH\r\n"
        + "+ go ahead\r\n"
        + "b2 OK [APPENDUID 1763783198 42] Append completed.\r\n"
        + "b3 NO [EXPUNGEISSUED] Some of the requested messages no longer exist.\r\n"
        + "+\r\n"
        + "b4 BAD\r\n"
        + "* BYE Logging out\r\n";

    @Test
    void readsEveryKindOfResponse() throws IOException {
        List<ImapResponse> responses = readAll(new ByteArrayInputStream(bytes(TRANSCRIPT)));
        assertThat(responses).hasSize(22);
        assertThat(responses.get(0)).isInstanceOfSatisfying(ImapResponse.Condition.class, c -> {
            assertThat(c.status()).isEqualTo(ImapResponse.Status.OK);
            assertThat(c.code().name()).isEqualTo("CAPABILITY");
            assertThat(c.code().args()).hasSize(3);
            assertThat(c.text()).isEqualTo("Dovecot ready.");
        });
        assertThat(responses.get(2)).isInstanceOfSatisfying(ImapResponse.Condition.class,
            c -> assertThat(((Value.Parens) c.code().args().get(0)).items()).hasSize(7));
        assertThat(responses.get(3)).isEqualTo(new ImapResponse.Exists(31));
        assertThat(responses.get(5)).isInstanceOfSatisfying(ImapResponse.Condition.class,
            c -> assertThat(c.code().number(0)).isEqualTo(1763783198L));
        assertThat(responses.get(7)).isInstanceOfSatisfying(ImapResponse.Tagged.class, t -> {
            assertThat(t.tag()).isEqualTo("b1");
            assertThat(t.code().name()).isEqualTo("READ-WRITE");
        });
        assertThat(responses.get(8)).isInstanceOfSatisfying(ImapResponse.Fetch.class, f -> {
            assertThat(f.sequence()).isEqualTo(3);
            assertThat(f.uid()).isEqualTo(7);
            assertThat(f.flags()).containsExactly("\\Seen", "$Forwarded");
        });
        assertThat(responses.get(9)).isInstanceOfSatisfying(ImapResponse.Fetch.class, f -> {
            assertThat(f.size()).isEqualTo(12);
            assertThat(new String(f.body(), StandardCharsets.US_ASCII)).isEqualTo("Subject: x\r\n");
        });
        assertThat(responses.get(10)).isInstanceOfSatisfying(ImapResponse.Fetch.class, f -> {
            assertThat(f.other()).containsKey("BODY[HEADER.FIELDS (FROM TO)]<0>");
            assertThat(((Value.Str) f.other().get("BODY[HEADER.FIELDS (FROM TO)]<0>")).text()).isEqualTo("quoted \"body\"");
            assertThat(f.flags()).isEmpty();
            assertThat(f.body()).isNull();
        });
        assertThat(responses.get(11)).isEqualTo(new ImapResponse.Expunge(2));
        assertThat(responses.get(13)).isInstanceOfSatisfying(ImapResponse.Data.class,
            d -> assertThat(((Value.Str) d.values().get(2)).text()).isEqualTo("Sent/%*"));
        assertThat(responses.get(14)).isInstanceOfSatisfying(ImapResponse.Data.class, d -> {
            assertThat(d.keyword()).isEqualTo("STATUS");
            assertThat(((Value.Parens) d.values().get(1)).items()).hasSize(6);
        });
        assertThat(responses.get(15)).isInstanceOfSatisfying(ImapResponse.Data.class, d -> assertThat(d.values()).isEmpty());
        assertThat(responses.get(16)).isEqualTo(new ImapResponse.Continuation("go ahead"));
        assertThat(responses.get(17)).isInstanceOfSatisfying(ImapResponse.Tagged.class, t -> {
            assertThat(t.code().name()).isEqualTo("APPENDUID");
            assertThat(t.code().number(1)).isEqualTo(42);
        });
        assertThat(responses.get(18)).isInstanceOfSatisfying(ImapResponse.Tagged.class,
            t -> assertThat(t.status()).isEqualTo(ImapResponse.Status.NO));
        assertThat(responses.get(19)).isEqualTo(new ImapResponse.Continuation(""));
        assertThat(responses.get(20)).isInstanceOfSatisfying(ImapResponse.Tagged.class, t -> assertThat(t.text()).isEmpty());
        assertThat(responses.get(21)).isInstanceOfSatisfying(ImapResponse.Condition.class,
            c -> assertThat(c.status()).isEqualTo(ImapResponse.Status.BYE));
    }

    @Test
    void givesTheSameResponsesWhateverTheInputIsSplitAt() throws IOException {
        byte[] all = bytes(TRANSCRIPT);
        String expected = describe(readAll(new ByteArrayInputStream(all)));
        for (int split = 0; split <= all.length; split++) {
            InputStream twoPieces = new SequenceInputStream(new ByteArrayInputStream(all, 0, split),
                new ByteArrayInputStream(all, split, all.length - split));
            assertThat(describe(readAll(twoPieces))).as("split at %d", split).isEqualTo(expected);
        }
        assertThat(describe(readAll(new OneByteAtATime(all)))).isEqualTo(expected);
    }

    /** RFC 5256 section 5: THREAD writes its lists side by side, without SP. */
    @Test
    void readsThreadListsSideBySide() throws IOException {
        List<ImapResponse> responses = readAll(new ByteArrayInputStream(bytes("* THREAD (2)(3 6 (4 23)(44 7 96))\r\n")));
        assertThat(responses).singleElement().isInstanceOfSatisfying(ImapResponse.Data.class, d -> {
            assertThat(d.keyword()).isEqualTo("THREAD");
            assertThat(d.values()).hasSize(2);
            assertThat(((Value.Parens) d.values().get(1)).items()).hasSize(4);
        });
        assertRefused("* LIST (\\HasNoChildren)\".\" INBOX\r\n", "expected ' ', got '\"'");
    }

    @Test
    void refusesWhatIsOutsideTheGrammar() {
        assertRefused("* 3 EXISTS\n", "expected CR, got LF");
        assertRefused("* 0 FETCH (UID 1)\r\n", "sequence number 0");
        assertRefused("* 0 EXPUNGE\r\n", "sequence number 0");
        assertRefused("b1 MAYBE fine\r\n", "unknown status");
        assertRefused("b1 BYE done\r\n", "tagged response with status BYE");
        assertRefused("* 1 FETCH (FLAGS \\Seen)\r\n", "FLAGS is not a list");
        assertRefused("* 1 FETCH (UID x)\r\n", "expected a number");
        assertRefused("* LIST () \"/\" \"unterminated\r\n", "line end inside a quoted string");
        assertRefused("* 1 FETCH (BODY[] {99999999999}\r\n", "exceeds the limit");
        assertRefused("* 1 FETCH (BODY[] {9999999999999999999}\r\n", "number too long");
        assertRefused("* 1 FETCH (BODY[] {5}\r\nab", "inside a literal");
        assertRefused("* 3 EXISTS", "connection closed");
        assertRefused("(x) OK\r\n", "expected a tag");
    }

    @Test
    void enforcesItsLimitsAtTheBoundary() throws IOException {
        var limits = new ImapResponseReader.Limits(64, 10, 3, 100);
        // A literal of exactly the limit is read; one byte more is refused before reading it.
        assertThat(read("* 1 FETCH (BODY[] {10}\r\n0123456789)\r\n", limits)).isInstanceOf(ImapResponse.Fetch.class);
        assertThatThrownBy(() -> read("* 1 FETCH (BODY[] {11}\r\n0123456789X)\r\n", limits))
            .hasMessageContaining("exceeds the limit of 10");
        // Lists nested to the depth limit, then one deeper.
        assertThat(read("* X (((a)))\r\n", limits)).isInstanceOf(ImapResponse.Data.class);
        assertThatThrownBy(() -> read("* X ((((a))))\r\n", limits)).hasMessageContaining("nested deeper");
        // A line of exactly the limit (CRLF included), then one byte longer.
        String exact = "* OK " + "x".repeat(64 - 7) + "\r\n";
        assertThat(exact).hasSize(64);
        assertThat(read(exact, limits)).isInstanceOf(ImapResponse.Condition.class);
        assertThatThrownBy(() -> read("* OK " + "x".repeat(64 - 6) + "\r\n", limits)).hasMessageContaining("longer than 64");
        // Value count.
        var few = new ImapResponseReader.Limits(1024, 10, 3, 5);
        assertThat(read("* X a b c d e\r\n", few)).isInstanceOf(ImapResponse.Data.class);
        assertThatThrownBy(() -> read("* X a b c d e f\r\n", few)).hasMessageContaining("more than 5 values");
    }

    /** `replica verify` compares hashes: a body far beyond the literal limit streams through the digest, never held. */
    @Test
    void aBodyLargerThanEveryBufferAndTheLimitIsHashedAsItArrives() throws Exception {
        var limits = new ImapResponseReader.Limits(1024, 1024, 3, 100);
        String body = "x".repeat(3 * 1024 * 1024 + 17);
        byte[] all = bytes("* 1 FETCH (UID 1 BODY[] {" + body.length() + "}\r\n" + body + " RFC822.SIZE " + body.length() + ")\r\n");
        String expected = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes(body)));
        for (int split : new int[] {0, 20, 40, all.length / 2, all.length - 3, all.length}) {
            InputStream twoPieces = new SequenceInputStream(new ByteArrayInputStream(all, 0, split),
                new ByteArrayInputStream(all, split, all.length - split));
            ImapResponse r = new ImapResponseReader(twoPieces, limits, ImapResponseReader.Bodies.SHA256).read();
            assertThat(r).as("split at %d", split).isInstanceOfSatisfying(ImapResponse.Fetch.class, f -> {
                assertThat(f.bodySha256()).isEqualTo(expected);
                assertThat(f.body()).isNull();
                assertThat(f.size()).isEqualTo(body.length());
            });
        }
        // Held, the same body is refused by its length before a byte of it is read.
        assertThatThrownBy(() -> new ImapResponseReader(new ByteArrayInputStream(all), limits).read())
            .hasMessageContaining("exceeds the limit of 1024");
        // A hashed body that ends early is an error, not a short hash.
        assertThatThrownBy(() -> new ImapResponseReader(new ByteArrayInputStream(bytes("* 1 FETCH (BODY[] {5}\r\nab")), limits,
            ImapResponseReader.Bodies.SHA256).read()).hasMessageContaining("inside a literal");
    }

    @Test
    void aHashedBodyGivesTheSameDigestWhateverTheInputIsSplitAt() throws IOException {
        byte[] all = bytes("* 4 FETCH (UID 9 BODY[] {12}\r\nSubject: x\r\n)\r\n* 5 FETCH (BODY[] \"q\\\"\" UID 10)\r\n"
            + "* 6 FETCH (RFC822 NIL)\r\n");
        String expected = describeHashes(new ByteArrayInputStream(all));
        assertThat(expected).contains("9 ").contains("10 ").hasLineCount(3);
        for (int split = 0; split <= all.length; split++) {
            InputStream twoPieces = new SequenceInputStream(new ByteArrayInputStream(all, 0, split),
                new ByteArrayInputStream(all, split, all.length - split));
            assertThat(describeHashes(twoPieces)).as("split at %d", split).isEqualTo(expected);
        }
        assertThat(describeHashes(new OneByteAtATime(all))).isEqualTo(expected);
    }

    private static String describeHashes(InputStream in) throws IOException {
        ImapResponseReader reader = new ImapResponseReader(in, ImapResponseReader.Limits.DEFAULT, ImapResponseReader.Bodies.SHA256);
        StringBuilder text = new StringBuilder();
        ImapResponse response;
        while ((response = reader.read()) != null) {
            ImapResponse.Fetch f = (ImapResponse.Fetch) response;
            text.append(f.uid()).append(' ').append(f.bodySha256()).append('\n');
        }
        return text.toString();
    }

    private static ImapResponse read(String text, ImapResponseReader.Limits limits) throws IOException {
        return new ImapResponseReader(new ByteArrayInputStream(bytes(text)), limits).read();
    }

    private static void assertRefused(String text, String message) {
        assertThatThrownBy(() -> readAll(new ByteArrayInputStream(bytes(text))))
            .as(text).isInstanceOf(IOException.class).hasMessageContaining(message);
    }

    private static List<ImapResponse> readAll(InputStream in) throws IOException {
        ImapResponseReader reader = new ImapResponseReader(in);
        List<ImapResponse> responses = new ArrayList<>();
        ImapResponse response;
        while ((response = reader.read()) != null) {
            responses.add(response);
        }
        return responses;
    }

    /** Records hold byte arrays (compared by identity), so compare a rendering instead. */
    private static String describe(List<ImapResponse> responses) {
        StringBuilder text = new StringBuilder();
        for (ImapResponse response : responses) {
            text.append(response instanceof ImapResponse.Fetch f && f.body() != null
                ? f.sequence() + " " + f.uid() + " " + new String(f.body(), StandardCharsets.ISO_8859_1)
                : describeValues(response)).append('\n');
        }
        return text.toString();
    }

    private static String describeValues(Object value) {
        return value.toString().replaceAll("\\[B@[0-9a-f]+", "bytes");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Delivers one byte per read, as a slow network might. */
    private static final class OneByteAtATime extends InputStream {
        private final byte[] bytes;
        private int position;

        OneByteAtATime(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position >= bytes.length) {
                return -1;
            }
            buffer[offset] = bytes[position++];
            return 1;
        }
    }
}
