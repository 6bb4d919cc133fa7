// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RFC 5256 §2.1 base subjects, and subjects made to make their extraction slow or deep. */
class BaseSubjectTest {
    private static String base(String subject) { return BaseSubject.of(subject).key(); }

    /** RFC 5256 §2.1, step by step. */
    @Test void baseSubjectSteps() {
        assertThat(base(null)).isEmpty();
        assertThat(base("  hello\t\tworld  ")).isEqualTo("HELLO WORLD"); // (1), (2), (3)
        assertThat(base("x (fwd) (FWD)")).isEqualTo("X"); // (2)
        assertThat(base("Re: RE: fw: FWD: x")).isEqualTo("X"); // (3) repeated
        assertThat(base("Re[2]: x")).isEqualTo("X"); // subj-refwd with a blob
        assertThat(base("[a] [b] Re: x")).isEqualTo("X"); // *subj-blob subj-refwd
        assertThat(base("[a] [b] x")).isEqualTo("X"); // (4)
        assertThat(base("[a] [b]")).isEqualTo("[B]"); // (4): the last blob stays when nothing else would
        assertThat(base("Re: [only]")).isEqualTo("[ONLY]");
        assertThat(base("[Fwd: Re: x]")).isEqualTo("X"); // (6), then again from (2)
        assertThat(base("[fwd: [fwd: x] (fwd)]")).isEqualTo("X");
        assertThat(base("Reply: x")).isEqualTo("REPLY: X"); // "re" must be followed by ':' or a blob
        assertThat(base("Re x")).isEqualTo("RE X");
        assertThat(base("[unclosed Re: x")).isEqualTo("[UNCLOSED RE: X");
        assertThat(base("=?UTF-8?Q?Re:_caf=C3=A9?=")).isEqualTo("CAFé"); // only a-z fold
    }

    @Test void leadersTrailersBlobsAndForwardWrappersGo() {
        assertThat(base("Re: hello")).isEqualTo("HELLO");
        assertThat(base("RE: Fwd: [list] Re[2]: hello (fwd)")).isEqualTo("HELLO");
        assertThat(base("[Fwd: Re: hello]")).isEqualTo("HELLO");
        assertThat(base("[list] hello")).isEqualTo("HELLO");
        assertThat(base("[list]")).isEqualTo("[LIST]");
        assertThat(base("  Hello \t\r\n  World  ")).isEqualTo("HELLO WORLD");
        assertThat(base("=?UTF-8?Q?Re=3A_gr=C3=BC=C3=9Fe?=")).isEqualTo("GRüßE");
        assertThat(base(null)).isEmpty();
        assertThat(BaseSubject.of("Re: Hello World").text()).as("the text keeps its case").isEqualTo("Hello World");
        assertThat(base("Reply: hello")).isEqualTo("REPLY: HELLO");
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

    /** Thousands of blobs overflowed the stack of the regex's group repetition; now one pass, whatever the length. */
    @Test @Timeout(value = 10, unit = TimeUnit.SECONDS) void manyBlobsAndLeadersAreOnePass() {
        assertThat(base("[a] ".repeat(2_400) + "Re: x")).isEqualTo("X");
        assertThat(base("Re: ".repeat(2_400) + "x")).isEqualTo("X");
        assertThat(base("x" + " (fwd)".repeat(1_600))).isEqualTo("X");
        assertThat(base("[fwd: ".repeat(800) + "[a]".repeat(1_000) + "]".repeat(800))).isEqualTo("[A]");
        assertThat(base("[ab]".repeat(1_000_000))).isEqualTo("[AB]");
        assertThat(base("Re: ".repeat(1_000_000) + "x")).isEqualTo("X");
    }

    /** A subject of many blobs and leaders costs linear time, not a scan per removal. */
    @Test @Timeout(10) void hostileSubjectsStayLinear() {
        String blobs = "[a] ".repeat(250_000) + "x";
        String leaders = "Re: ".repeat(250_000) + "x";
        String wrapped = "[fwd: ".repeat(50_000) + "x" + "]".repeat(50_000);
        long start = System.nanoTime();
        assertThat(base(blobs)).isEqualTo("X");
        assertThat(base(leaders)).isEqualTo("X");
        assertThat(base("[a]".repeat(250_000))).isEqualTo("[A]");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(base(wrapped)).isEqualTo("X");
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
        return SortKeys.fold(s);
    }
}
