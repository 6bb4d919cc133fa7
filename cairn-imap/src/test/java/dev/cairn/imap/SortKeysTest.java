// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SortKeysTest {
    /** RFC 5256 §2.1, step by step. */
    @Test void baseSubjectSteps() {
        assertThat(SortKeys.baseSubject(null)).isEmpty();
        assertThat(SortKeys.baseSubject("  hello\t\tworld  ")).isEqualTo("HELLO WORLD"); // (1), (2), (3)
        assertThat(SortKeys.baseSubject("x (fwd) (FWD)")).isEqualTo("X"); // (2)
        assertThat(SortKeys.baseSubject("Re: RE: fw: FWD: x")).isEqualTo("X"); // (3) repeated
        assertThat(SortKeys.baseSubject("Re[2]: x")).isEqualTo("X"); // subj-refwd with a blob
        assertThat(SortKeys.baseSubject("[a] [b] Re: x")).isEqualTo("X"); // *subj-blob subj-refwd
        assertThat(SortKeys.baseSubject("[a] [b] x")).isEqualTo("X"); // (4)
        assertThat(SortKeys.baseSubject("[a] [b]")).isEqualTo("[B]"); // (4): the last blob stays when nothing else would
        assertThat(SortKeys.baseSubject("Re: [only]")).isEqualTo("[ONLY]");
        assertThat(SortKeys.baseSubject("[Fwd: Re: x]")).isEqualTo("X"); // (6), then again from (2)
        assertThat(SortKeys.baseSubject("[fwd: [fwd: x] (fwd)]")).isEqualTo("X");
        assertThat(SortKeys.baseSubject("Reply: x")).isEqualTo("REPLY: X"); // "re" must be followed by ':' or a blob
        assertThat(SortKeys.baseSubject("Re x")).isEqualTo("RE X");
        assertThat(SortKeys.baseSubject("[unclosed Re: x")).isEqualTo("[UNCLOSED RE: X");
        assertThat(SortKeys.baseSubject("=?UTF-8?Q?Re:_caf=C3=A9?=")).isEqualTo("CAFé"); // only a-z fold
    }

    /** i;ascii-casemap (RFC 4790 §9.2): only a-z fold, then octet order: "[" and "_" come after "Z", bytes above 0x7F last. */
    @Test void asciiCasemapOrder() {
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("_"), SortKeys.fold("z"))).isPositive();
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("["), SortKeys.fold("Z"))).isPositive();
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("abc"), SortKeys.fold("ABD"))).isNegative();
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("a"), SortKeys.fold("A"))).isZero();
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("é"), SortKeys.fold("~"))).isPositive();
        assertThat(SortKeys.ORDER.compare("\uD83D\uDE00", "\uFFFD")).isPositive(); // code point order, as UTF-8 octets compare
        assertThat(SortKeys.ORDER.compare("AB", "ABC")).isNegative();
    }

    /** A subject of many blobs and leaders costs linear time, not a scan per removal. */
    @Test @Timeout(10) void hostileSubjectsStayLinear() {
        String blobs = "[a] ".repeat(250_000) + "x";
        String leaders = "Re: ".repeat(250_000) + "x";
        String wrapped = "[fwd: ".repeat(50_000) + "x" + "]".repeat(50_000);
        long start = System.nanoTime();
        assertThat(SortKeys.baseSubject(blobs)).isEqualTo("X");
        assertThat(SortKeys.baseSubject(leaders)).isEqualTo("X");
        assertThat(SortKeys.baseSubject("[a]".repeat(250_000))).isEqualTo("[A]");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(SortKeys.baseSubject(wrapped)).isEqualTo("X");
    }
}
