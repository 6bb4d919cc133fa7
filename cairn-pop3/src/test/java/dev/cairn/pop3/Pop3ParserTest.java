// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Pop3ParserTest {
    static String error(String line) {
        try {
            return "parsed " + Pop3Parser.parse(line);
        } catch (Pop3SyntaxException e) {
            return e.getMessage();
        }
    }

    @Test
    void commands() throws Exception {
        assertThat(Pop3Parser.parse("user Alice")).isEqualTo(new Pop3Command.User("Alice"));
        assertThat(Pop3Parser.parse("PASS with spaces  inside")).isEqualTo(new Pop3Command.Pass("with spaces  inside"));
        assertThat(Pop3Parser.parse("LIST")).isEqualTo(new Pop3Command.List(0));
        assertThat(Pop3Parser.parse("list 7")).isEqualTo(new Pop3Command.List(7));
        assertThat(Pop3Parser.parse("TOP 1 0")).isEqualTo(new Pop3Command.Top(1, 0));
        assertThat(Pop3Parser.parse("TOP 1 99999999999")).isEqualTo(new Pop3Command.Top(1, Integer.MAX_VALUE));
        assertThat(Pop3Parser.parse("AUTH plain AGEAYg==")).isEqualTo(new Pop3Command.Auth("PLAIN", "AGEAYg=="));
        assertThat(Pop3Parser.parse("AUTH")).isEqualTo(new Pop3Command.Auth(null, null));
        assertThat(Pop3Parser.parse("RETR 2147483647")).isEqualTo(new Pop3Command.Retr(Integer.MAX_VALUE));
    }

    @Test
    void badMessageNumbers() {
        assertThat(error("RETR 0")).isEqualTo("No such message");
        assertThat(error("RETR 2147483648")).isEqualTo("No such message");
        assertThat(error("RETR 4294967296")).isEqualTo("No such message");
        assertThat(error("RETR 99999999999")).isEqualTo("Invalid message number");
        assertThat(error("RETR -1")).isEqualTo("Invalid message number");
        assertThat(error("RETR 1x")).isEqualTo("Invalid message number");
        assertThat(error("RETR +1")).isEqualTo("Invalid message number");
        assertThat(error("RETR  1")).isEqualTo("Invalid message number");
        assertThat(error("DELE")).isEqualTo("Syntax: DELE message");
        assertThat(error("TOP 1 2 3")).isEqualTo("Syntax: TOP message lines");
        assertThat(error("TOP 1 -1")).isEqualTo("Invalid line count");
        assertThat(error("AUTH PLAIN a b")).startsWith("Syntax: AUTH");
        assertThat(error("QUIT now")).isEqualTo("Syntax: no arguments allowed");
        assertThat(error("APOP alice 0123")).isEqualTo("Unknown command");
        assertThat(error("")).isEqualTo("Unknown command");
    }
}
