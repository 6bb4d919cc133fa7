// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random command lines: the parser answers with a command or a syntax error, never anything else. */
class Pop3ParserRandomTest {
    static final String[] PREFIXES = {"RETR ", "TOP ", "LIST ", "UIDL ", "DELE ", "AUTH ", "USER ", "PASS ", "STAT", "QUIT", ""};
    static final String ALPHABET = " 0123456789-+xX=\u00e9\t";

    @Test
    void neverThrowsAnythingButASyntaxError() {
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            StringBuilder line = new StringBuilder(PREFIXES[random.nextInt(PREFIXES.length)]);
            int length = random.nextInt(24);
            for (int j = 0; j < length; j++) line.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            try {
                Pop3Command command = Pop3Parser.parse(line.toString());
                switch (command) {
                    case Pop3Command.Retr r -> assertThat(r.message()).isPositive();
                    case Pop3Command.Top t -> assertThat(t.message()).isPositive();
                    case Pop3Command.Dele d -> assertThat(d.message()).isPositive();
                    case Pop3Command.List l -> assertThat(l.message()).isNotNegative();
                    case Pop3Command.Uidl u -> assertThat(u.message()).isNotNegative();
                    default -> { }
                }
            } catch (Pop3SyntaxException e) {
                assertThat(e.getMessage()).isNotBlank();
            }
        }
    }
}
