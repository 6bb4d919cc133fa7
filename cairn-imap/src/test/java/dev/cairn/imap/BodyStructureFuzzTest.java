// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.imap.syntax.ResponseWriter;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.mime.MimeParser;
import dev.cairn.store.mime.ParsedCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * A message as any sender may write it, through the store's parse and its stored form, out as
 * FETCH ENVELOPE and BODYSTRUCTURE/BODY (RFC 9051 §7.5.2): whatever the headers hold, the
 * response is well-formed IMAP (balanced lists, quoted strings without CR/LF, literals with their
 * exact length, 8-bit text only when UTF-8 is on) and its size is linear in the message's.
 */
class BodyStructureFuzzTest {
    @FuzzTest
    @DictionaryFile(resourcePath = "/dev/cairn/imap/BodyStructureFuzzTest.dict")
    void fetchResponses(byte[] message) throws IOException {
        ParsedMessage parsed = ParsedCodec.decode(ParsedCodec.encode(MimeParser.parse(message)));
        for (boolean utf8 : new boolean[] {false, true}) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ResponseWriter out = new ResponseWriter(() -> bytes);
            out.setUtf8(utf8);
            FetchResponder responder = new FetchResponder(null, out, HeavyCommands.Budget.NONE);
            responder.envelope(parsed.envelope());
            out.sp();
            responder.body(parsed.structure(), true);
            out.sp();
            responder.body(parsed.structure(), false);
            byte[] response = bytes.toByteArray();
            new Reader(response, utf8).values();
            assertThat((long) response.length).as("response octets for a %d-octet message", message.length)
                    .isLessThanOrEqualTo(4096 + 64L * message.length);
        }
    }

    /** Reads the response as IMAP values (RFC 9051 §4): NIL, numbers, quoted strings, literals, lists. */
    private record Reader(byte[] b, boolean utf8, int[] pos) {
        Reader(byte[] b, boolean utf8) { this(b, utf8, new int[1]); }

        void values() {
            value();
            while (pos[0] < b.length) {
                expect(' ');
                value();
            }
        }

        private void value() {
            assertThat(pos[0]).as("value expected").isLessThan(b.length);
            int c = b[pos[0]];
            if (c == '(') list();
            else if (c == '"') quoted();
            else if (c == '{') literal();
            else if (c >= '0' && c <= '9') { while (pos[0] < b.length && b[pos[0]] >= '0' && b[pos[0]] <= '9') pos[0]++; }
            else {
                assertThat(new String(b, pos[0], Math.min(3, b.length - pos[0]), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .as("at %d", pos[0]).isEqualTo("NIL");
                pos[0] += 3;
            }
        }

        /** Items separated by one space, except that a body's parts follow one another (body-type-mpart). */
        private void list() {
            expect('(');
            value();
            while (true) {
                assertThat(pos[0]).as("unterminated list").isLessThan(b.length);
                if (b[pos[0]] == ')') break;
                if (b[pos[0]] != '(') expect(' ');
                value();
            }
            pos[0]++;
        }

        private void quoted() {
            expect('"');
            while (true) {
                assertThat(pos[0]).as("unterminated quoted string").isLessThan(b.length);
                int c = b[pos[0]++] & 0xff;
                if (c == '"') return;
                assertThat(c).as("octet in a quoted string").isNotIn(0, '\r', '\n');
                if (!utf8) assertThat(c).as("8-bit octet quoted without UTF-8").isLessThan(0x80);
                if (c == '\\') {
                    assertThat(b[pos[0]]).as("quoted escape").isIn((byte) '"', (byte) '\\');
                    pos[0]++;
                }
            }
        }

        private void literal() {
            expect('{');
            int start = pos[0];
            while (pos[0] < b.length && b[pos[0]] >= '0' && b[pos[0]] <= '9') pos[0]++;
            assertThat(pos[0]).as("literal size").isGreaterThan(start).isLessThan(b.length);
            assertThat((char) b[pos[0]]).isEqualTo('}');
            int n = Integer.parseInt(new String(b, start, pos[0] - start, java.nio.charset.StandardCharsets.US_ASCII));
            pos[0]++;
            expect('\r');
            expect('\n');
            assertThat(pos[0] + n).as("literal length").isLessThanOrEqualTo(b.length);
            pos[0] += n;
        }

        private void expect(char c) {
            assertThat(pos[0]).as("'%s' expected at the end", c).isLessThan(b.length);
            assertThat((char) b[pos[0]]).as("at %d", pos[0]).isEqualTo(c);
            pos[0]++;
        }
    }
}
