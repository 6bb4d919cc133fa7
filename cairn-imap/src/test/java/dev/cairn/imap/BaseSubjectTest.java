// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RFC 5256 §2.1 base subjects, and subjects made to make their extraction slow or deep. */
class BaseSubjectTest {
    private static String base(String subject) { return BaseSubject.of(subject).key(); }

    @Test void leadersTrailersBlobsAndForwardWrappersGo() {
        assertThat(base("Re: hello")).isEqualTo("hello");
        assertThat(base("RE: Fwd: [list] Re[2]: hello (fwd)")).isEqualTo("hello");
        assertThat(base("[Fwd: Re: hello]")).isEqualTo("hello");
        assertThat(base("[list] hello")).isEqualTo("hello");
        assertThat(base("[list]")).isEqualTo("[list]");
        assertThat(base("  Hello \t\r\n  World  ")).isEqualTo("hello world");
        assertThat(base("=?UTF-8?Q?Re=3A_gr=C3=BC=C3=9Fe?=")).isEqualTo("grüße");
        assertThat(base(null)).isEmpty();
        assertThat(BaseSubject.of("Re: Hello World").text()).as("the text keeps its case").isEqualTo("Hello World");
        assertThat(base("Reply: hello")).isEqualTo("reply: hello");
    }

    @Test void repliesAndForwardsAreToldFromBlobsAndWhitespace() {
        assertThat(BaseSubject.of("Re: x").replyOrForward()).isTrue();
        assertThat(BaseSubject.of("x (fwd)").replyOrForward()).isTrue();
        assertThat(BaseSubject.of("[Fwd: x]").replyOrForward()).isTrue();
        assertThat(BaseSubject.of("[list] x").replyOrForward()).isFalse();
        assertThat(BaseSubject.of("  x  ").replyOrForward()).isFalse();
    }

    @Test void agreesWithTheRegexItReplacedOnRandomSubjects() {
        Random random = new Random(5256);
        String[] pieces = {"re", "Re", "fw", "FWD", "fwd", ":", " ", "[", "]", "[x]", "(fwd)", "[fwd:", "a", "b", "\t"};
        for (int round = 0; round < 20_000; round++) {
            StringBuilder s = new StringBuilder();
            int n = random.nextInt(8);
            for (int i = 0; i < n; i++) s.append(pieces[random.nextInt(pieces.length)]);
            assertThat(base(s.toString())).as("[%s]", s).isEqualTo(regexBaseSubject(s.toString()));
        }
    }

    /**
     * Thousands of blobs overflowed the stack of the regex's group repetition; now one pass, and
     * past {@value BaseSubject#MAX_CHARS} characters a subject is cut.
     */
    @Test @Timeout(value = 10, unit = TimeUnit.SECONDS) void manyBlobsAndLeadersAreOnePass() {
        assertThat(base("[a] ".repeat(2_400) + "Re: x")).isEqualTo("x");
        assertThat(base("Re: ".repeat(2_400) + "x")).isEqualTo("x");
        assertThat(base("x" + " (fwd)".repeat(1_600))).isEqualTo("x");
        assertThat(base("[fwd: ".repeat(800) + "[a]".repeat(1_000) + "]".repeat(800))).isEqualTo("[a]");
        assertThat(base("[ab]".repeat(1_000_000))).isEqualTo("[ab]");
        assertThat(base("Re: ".repeat(1_000_000) + "x")).isEmpty();
    }


    /**
     * The extraction as it was (regexes), kept as the oracle for ordinary subjects; one thing
     * corrected: step (2) removes every trailer, not one per round, as RFC 5256 §2.1 says.
     */
    private static String regexBaseSubject(String subject) {
        String s = DecoderUtil.decodeEncodedWords(subject, DecodeMonitor.SILENT).replaceAll("[\\t\\r\\n ]+", " ").trim();
        boolean changed = true;
        while (changed) {
            changed = false;
            String before = s;
            for (String t = null; !s.equals(t); ) {
                t = s;
                s = s.replaceAll("(?i)\\s*\\(fwd\\)$", "").trim();
            }
            s = s.replaceAll("(?i)^((\\[[^\\[\\]]*\\]\\s*)*(re|fwd?)\\s*(\\[[^\\[\\]]*\\])?\\s*:\\s*)", "").trim();
            String blob = s.replaceAll("^\\[[^\\[\\]]*\\]\\s*", "");
            if (!blob.isEmpty()) s = blob;
            if (s.regionMatches(true, 0, "[fwd:", 0, 5) && s.endsWith("]")) s = s.substring(5, s.length() - 1).trim();
            if (!s.equals(before)) changed = true;
        }
        return s.toLowerCase(Locale.ROOT);
    }
}
