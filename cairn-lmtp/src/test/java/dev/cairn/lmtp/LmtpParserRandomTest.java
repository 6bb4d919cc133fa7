// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random command lines: the parser answers with a command or a syntax reply, never anything else. */
class LmtpParserRandomTest {
    static final String[] PREFIXES = {"MAIL FROM:", "RCPT TO:", "BDAT ", "LHLO ", "mail from: ", "DATA", "RSET", "STARTTLS", ""};
    static final String ALPHABET = "<>@\"\\ :=.+-,0123456789aZ\u00e9\u0001\t";

    @Test
    void neverThrowsAnythingButASyntaxReply() {
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            StringBuilder line = new StringBuilder(PREFIXES[random.nextInt(PREFIXES.length)]);
            int length = random.nextInt(40);
            for (int j = 0; j < length; j++) line.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            try {
                assertThat(LmtpParser.parse(line.toString())).isNotNull();
            } catch (LmtpSyntaxException e) {
                assertThat(e.reply()).as(line.toString()).matches("5\\d\\d 5\\.\\d\\.\\d+ .+");
            }
        }
    }
}
