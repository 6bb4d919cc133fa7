// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LmtpParserTest {
    static String error(String line) {
        try {
            LmtpParser.parse(line);
            throw new AssertionError("parsed: " + line);
        } catch (LmtpSyntaxException e) {
            return e.reply();
        }
    }

    @Test
    void mailWithParameters() throws Exception {
        assertThat(LmtpParser.parse("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8"))
                .isEqualTo(new LmtpCommand.Mail("a@b.example", 1000, LmtpCommand.Body.EIGHT_BIT_MIME, true));
        assertThat(LmtpParser.parse("mail from: <>")).isEqualTo(new LmtpCommand.Mail("", -1, LmtpCommand.Body.SEVEN_BIT, false));
        assertThat(LmtpParser.parse("MAIL FROM:<x@y> body=binarymime")).isEqualTo(new LmtpCommand.Mail("x@y", -1, LmtpCommand.Body.BINARY_MIME, false));
        assertThat(LmtpParser.parse("MAIL FROM:<@relay.example:x@y>")).isEqualTo(new LmtpCommand.Mail("x@y", -1, LmtpCommand.Body.SEVEN_BIT, false));
        assertThat(LmtpParser.parse("MAIL FROM:<x@y> SIZE=99999999999999999999")).extracting(c -> ((LmtpCommand.Mail) c).size()).isEqualTo(Long.MAX_VALUE);
    }

    /** Found by LmtpParserFuzzTest: a parameter name is quoted in the reply, CR and all, however long. */
    @Test
    void aRefusalQuotingTheCommandIsStillOneValidReplyLine() {
        assertThat(error("MAIL FROM:<a@b> BODY4BINARYMIME\r=")).isEqualTo("555 5.5.4 Unsupported parameter BODY4BINARYMIME?");
        assertThat(error("RCPT TO:<a@b> X\u00e9\u0000")).isEqualTo("555 5.5.4 Unsupported parameter X??");
        String prefix = "555 5.5.4 Unsupported parameter ";
        String under = "P".repeat(LmtpSyntaxException.MAX_REPLY - prefix.length() - 1);
        assertThat(error("MAIL FROM:<a@b> " + under)).isEqualTo(prefix + under);
        assertThat(error("MAIL FROM:<a@b> " + under + "PQ")).isEqualTo(prefix + under + "P");
        assertThat(error("MAIL FROM:<a@b> " + "P".repeat(70_000))).hasSize(LmtpSyntaxException.MAX_REPLY).startsWith("555 5.5.4 Unsupported parameter PPP");
    }

    @Test
    void mailErrors() {
        assertThat(error("MAIL FROM:a@b")).startsWith("501 5.1.7");
        assertThat(error("MAIL TO:<a@b>")).startsWith("501 5.5.4");
        assertThat(error("MAIL FROM:<a@b> SIZE=abc")).startsWith("501 5.5.4");
        assertThat(error("MAIL FROM:<a@b> BODY=9BIT")).startsWith("501 5.5.4");
        assertThat(error("MAIL FROM:<a@b> RET=FULL")).isEqualTo("555 5.5.4 Unsupported parameter RET");
        assertThat(error("MAIL FROM:<jösé@b>")).startsWith("553 5.6.7");
        assertThat(error("MAIL FROM:<a@b")).startsWith("501 5.1.7");
        assertThat(error("MAIL FROM:<a\u0001@b>")).startsWith("501 5.1.7");
    }

    @Test
    void rcpt() throws Exception {
        assertThat(LmtpParser.parse("RCPT TO:<alice+work@example.com>")).isEqualTo(new LmtpCommand.Rcpt("alice+work@example.com"));
        assertThat(LmtpParser.parse("RCPT TO:<\"a >b\"@example.com>")).isEqualTo(new LmtpCommand.Rcpt("\"a >b\"@example.com"));
        assertThat(LmtpParser.parse("RCPT TO:<postmaster>")).isEqualTo(new LmtpCommand.Rcpt("postmaster"));
        assertThat(error("RCPT TO:<>")).startsWith("501 5.1.3");
        assertThat(error("RCPT TO:<@example.com>")).startsWith("501 5.1.3");
        assertThat(error("RCPT TO:<a@>")).startsWith("501 5.1.3");
        assertThat(error("RCPT TO:<a@b> NOTIFY=NEVER")).startsWith("555 5.5.4");
        assertThat(error("RCPT TO:<" + "a".repeat(250) + "@b.example>")).startsWith("501 5.1.7 Address too long");
        assertThat(LmtpParser.parse("RCPT TO:<" + "a".repeat(240) + "@b.example>")).isInstanceOf(LmtpCommand.Rcpt.class);
    }

    @Test
    void otherVerbs() throws Exception {
        assertThat(LmtpParser.parse("lhlo client.example")).isEqualTo(new LmtpCommand.Lhlo("client.example"));
        assertThat(LmtpParser.parse("BDAT 100 LAST")).isEqualTo(new LmtpCommand.Bdat(100, true));
        assertThat(LmtpParser.parse("BDAT 0")).isEqualTo(new LmtpCommand.Bdat(0, false));
        assertThat(error("BDAT -1")).startsWith("501");
        assertThat(error("BDAT 10 FIRST")).startsWith("501");
        assertThat(error("BDAT 9999999999999999999")).startsWith("501");
        assertThat(error("LHLO")).startsWith("501");
        assertThat(error("DATA now")).startsWith("501");
        assertThat(error("STARTTLS x")).startsWith("501");
        assertThat(error("XYZZY")).isEqualTo("500 5.5.2 Unknown command");
        assertThat(LmtpParser.parse("EHLO x")).isEqualTo(new LmtpCommand.Helo("EHLO"));
        assertThatThrownBy(() -> LmtpParser.parse("")).isInstanceOf(LmtpSyntaxException.class);
    }
}
