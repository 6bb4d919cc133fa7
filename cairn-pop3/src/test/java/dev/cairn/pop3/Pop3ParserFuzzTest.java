// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * POP3 command lines (RFC 1939, RFC 2449, RFC 5034): a command whose message numbers are in
 * 1..2^31-1, or a refusal whose text is one short line after "-ERR ", never another exception.
 */
class Pop3ParserFuzzTest {
    @FuzzTest
    @DictionaryFile(resourcePath = "/dev/cairn/pop3/Pop3ParserFuzzTest.dict")
    void parse(byte[] data) {
        // one command per line, as the session passes them: terminator removed, NUL refused before
        for (String line : new String(data, StandardCharsets.UTF_8).split("\r?\n", -1)) {
            if (line.indexOf('\0') < 0) parseLine(line);
        }
    }

    private static void parseLine(String line) {
        try {
            switch (Pop3Parser.parse(line)) {
                case Pop3Command.List l -> assertThat(l.message()).isNotNegative();
                case Pop3Command.Uidl u -> assertThat(u.message()).isNotNegative();
                case Pop3Command.Retr r -> assertThat(r.message()).isPositive();
                case Pop3Command.Dele d -> assertThat(d.message()).isPositive();
                case Pop3Command.Top t -> {
                    assertThat(t.message()).isPositive();
                    assertThat(t.lines()).isNotNegative();
                }
                case Pop3Command.Auth a -> {
                    if (a.mechanism() != null) assertThat(a.mechanism()).isNotEmpty();
                }
                default -> { }
            }
        } catch (Pop3SyntaxException e) {
            assertThat(e.getMessage()).doesNotContain("\r", "\n").hasSizeLessThanOrEqualTo(200);
        }
    }
}
