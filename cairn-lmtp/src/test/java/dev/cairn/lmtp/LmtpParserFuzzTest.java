// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * LMTP command lines (RFC 2033, RFC 5321 §4.1): a command, or a syntax reply that is one
 * well-formed reply line (code, enhanced status code, text within the 512-octet reply limit of
 * RFC 5321 §4.5.3.1.5), never another exception. Paths stay within their 256-octet limit.
 */
class LmtpParserFuzzTest {
    @FuzzTest
    @DictionaryFile(resourcePath = "/dev/cairn/lmtp/LmtpParserFuzzTest.dict")
    void parse(byte[] data) {
        // one command per line, as the session passes them: terminator removed, NUL refused before
        for (String line : new String(data, StandardCharsets.UTF_8).split("\r?\n", -1)) {
            if (line.indexOf('\0') < 0) parseLine(line);
        }
    }

    private static void parseLine(String line) {
        try {
            LmtpCommand command = LmtpParser.parse(line);
            switch (command) {
                case LmtpCommand.Mail m -> assertThat(m.reversePath().length()).isLessThanOrEqualTo(LmtpParser.MAX_PATH);
                case LmtpCommand.Rcpt r -> assertThat(r.address()).isNotEmpty().hasSizeLessThanOrEqualTo(LmtpParser.MAX_PATH);
                case LmtpCommand.Bdat b -> assertThat(b.size()).isNotNegative();
                default -> { }
            }
        } catch (LmtpSyntaxException e) {
            assertThat(e.reply()).matches("5\\d\\d 5\\.\\d\\.\\d{1,3} [\\t\\x20-\\x7e]+");
            assertThat(e.reply().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(510);
        }
    }
}
