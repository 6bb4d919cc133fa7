// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RFC 2047 encoded words in header text: as mime4j decodes them, in linear time. */
class EncodedWordsTest {
    @Test void wordsAreDecodedAndTheSpaceBetweenTwoWordsGoes() {
        assertThat(EncodedWords.decode("=?UTF-8?Q?gr=C3=BC=C3=9Fe_dich?= =?ISO-8859-1?B?Y2Fm6Q==?= ok"))
                .isEqualTo("grüße dichcafé ok");
        assertThat(EncodedWords.decode("a =?utf-8?q?b?= c")).isEqualTo("a b c");
        assertThat(EncodedWords.decode("=?x-unknown?q?b?= =?utf-8*en?q?c?=")).isEqualTo("=?x-unknown?q?b?= c");
        assertThat(EncodedWords.decode("no words =? here ?=")).isEqualTo("no words =? here ?=");
    }

    @Test void agreesWithMime4jOnWellFormedText() {
        Random random = new Random(2047);
        // no '=' or '?' beside a word: mime4j's regex then takes "=?=?utf-8" for a charset name
        String[] plain = {"a", "Re: ", " ", "  ", "\t", "x y", "_", "(c)"};
        for (int round = 0; round < 5_000; round++) {
            StringBuilder s = new StringBuilder();
            for (int i = random.nextInt(6); i > 0; i--) {
                if (random.nextBoolean()) s.append(plain[random.nextInt(plain.length)]);
                else s.append(word(random));
            }
            String text = s.toString();
            assertThat(EncodedWords.decode(text)).as(text).isEqualTo(DecoderUtil.decodeEncodedWords(text, DecodeMonitor.SILENT));
        }
    }

    /** "=?a?q?x" 200,000 times took mime4j's regex 20 s; a checkpoint cannot stop a regex. */
    @Test @Timeout(value = 10, unit = TimeUnit.SECONDS) void almostWordsEverywhereStayLinear() {
        for (String unit : new String[] {"=?", "=?a?", "=?a?q?", "=?a?q?x", "=?utf-8?q?x?= ", "?=", "=?x-no-such-charset?q?x?="}) {
            String text = unit.repeat(4_000_000 / unit.length());
            assertThat(EncodedWords.decode(text)).isNotEmpty();
        }
        String farEnd = "=?utf-8?q?x".repeat(400_000) + "=?utf-8?q?y?=";
        assertThat(EncodedWords.decode(farEnd)).endsWith("y");
        StringBuilder distinct = new StringBuilder();
        for (int i = 0; distinct.length() < 4_000_000; i++) distinct.append("=?c").append(i).append("?q?x?=");
        assertThat(EncodedWords.decode(distinct.toString())).isEqualTo(distinct.toString());
    }

    private static String word(Random random) {
        String charset = random.nextBoolean() ? "UTF-8" : "iso-8859-1";
        byte[] payload = ("w" + random.nextInt(1000) + (random.nextBoolean() ? " é" : "")).getBytes(StandardCharsets.UTF_8);
        if (random.nextBoolean()) return "=?" + charset + "?B?" + Base64.getEncoder().encodeToString(payload) + "?=";
        StringBuilder q = new StringBuilder();
        for (byte b : payload) {
            int c = b & 0xff;
            if (c == ' ') q.append('_');
            else if (c < 0x80 && Character.isLetterOrDigit(c)) q.append((char) c);
            else q.append(String.format("=%02X", c));
        }
        return "=?" + charset + "?Q?" + q + "?=";
    }
}
