// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CorpusTest {

    @Test
    void sameSeedAndIndexGiveTheSameBytes() {
        Corpus a = new Corpus(42);
        Corpus b = new Corpus(42);
        for (int i = 0; i < 50; i++) {
            assertThat(b.message(i).bytes()).isEqualTo(a.message(i).bytes());
            assertThat(b.message(i).sha256()).isEqualTo(Corpus.sha256(a.message(i).bytes()));
        }
    }

    @Test
    void otherSeedsAndIndexesGiveOtherMessages() {
        assertThat(new Corpus(1).message(0).bytes()).isNotEqualTo(new Corpus(2).message(0).bytes());
        assertThat(new Corpus(1).message(0).bytes()).isNotEqualTo(new Corpus(1).message(1).bytes());
    }

    @Test
    void sizeDistributionIsHeavyTailedBetweenOneKibAndFiveMib() {
        SplittableRandom random = new SplittableRandom(7);
        int draws = 200_000;
        int[] sizes = new int[draws];
        for (int i = 0; i < draws; i++) {
            sizes[i] = Corpus.targetSize(random);
        }
        Arrays.sort(sizes);
        assertThat(sizes[0]).isGreaterThanOrEqualTo(Corpus.MIN_SIZE);
        assertThat(sizes[draws - 1]).isLessThanOrEqualTo(Corpus.MAX_SIZE);
        // Most mail is small text; a few percent carry attachments of a MiB or more.
        assertThat(sizes[draws / 2]).isBetween(4 * 1024, 16 * 1024);
        assertThat(share(sizes, 0, 4 * 1024)).isCloseTo(0.35, org.assertj.core.data.Offset.offset(0.01));
        assertThat(share(sizes, 1024 * 1024, Integer.MAX_VALUE)).isCloseTo(0.03, org.assertj.core.data.Offset.offset(0.005));
        assertThat(share(sizes, 4 * 1024 * 1024, Integer.MAX_VALUE)).isGreaterThan(0.002);
    }

    private static double share(int[] sorted, int from, int to) {
        return Arrays.stream(sorted).filter(s -> s >= from && s < to).count() / (double) sorted.length;
    }

    @Test
    void renderedMessagesAreWellFormedAndNearTheirPlannedSize() {
        Corpus corpus = new Corpus(3, 512 * 1024);
        Set<Corpus.Kind> kinds = EnumSet.noneOf(Corpus.Kind.class);
        boolean nonAscii = false;
        for (int i = 0; i < 300; i++) {
            Corpus.Message message = corpus.message(i);
            kinds.add(message.kind());
            nonAscii |= message.nonAsciiHeaders();
            int planned = corpus.plannedSize(i);
            assertThat(message.size()).as("message %d", i)
                .isBetween(Math.max(Corpus.MIN_SIZE, planned * 9 / 10), planned + planned / 10 + 1500);
            assertWellFormed(message);
        }
        assertThat(kinds).containsExactlyInAnyOrder(Corpus.Kind.values());
        assertThat(nonAscii).isTrue();
    }

    @Test
    void theLargestMessagesReachFiveMib() {
        Corpus corpus = new Corpus(1);
        int index = 0;
        while (corpus.plannedSize(index) < 4 * 1024 * 1024) {
            index++;
        }
        Corpus.Message big = corpus.message(index);
        assertThat(big.size()).isBetween(3_900_000, Corpus.MAX_SIZE + 4096);
        assertThat(big.kind()).isIn(Corpus.Kind.ATTACHMENT, Corpus.Kind.HTML);
        assertWellFormed(big);
    }

    @Test
    void aSizeCapCutsTheDistributionAndNamesTheCorpusDifferently() {
        Corpus capped = new Corpus(1, 64 * 1024);
        for (int i = 0; i < 200; i++) {
            assertThat(capped.message(i).size()).isLessThan(64 * 1024 + 1500);
        }
        assertThat(capped.name()).isNotEqualTo(new Corpus(1).name());
    }

    @Test
    void equalBoundsGiveMessagesOfOneSize() {
        Corpus tenKib = new Corpus(1, 10 * 1024, 10 * 1024);
        for (int i = 0; i < 200; i++) {
            Corpus.Message m = tenKib.message(i);
            assertThat(m.size()).as("message " + i).isBetween(9 * 1024, 11 * 1024);
            assertWellFormed(m);
        }
        assertThat(tenKib.name()).isNotEqualTo(new Corpus(1, 10 * 1024).name());
        assertThatThrownBy(() -> new Corpus(1, 20 * 1024, 10 * 1024)).isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertWellFormed(Corpus.Message message) {
        byte[] bytes = message.bytes();
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThat(text).startsWith(Corpus.HEADER + ": ");
        assertThat(text).contains("\r\nMessage-ID: <", "\r\nDate: ", "\r\nFrom: ", "\r\nSubject: ", "\r\n\r\n");
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                assertThat(i > 0 && bytes[i - 1] == '\r').as("LF at %d of message %s is not after CR", i, message.id()).isTrue();
            }
        }
        int lineStart = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                assertThat(i - lineStart).as("line length (RFC 5322 section 2.1.1)").isLessThanOrEqualTo(998);
                lineStart = i + 1;
            }
        }
        String headers = text.substring(0, text.indexOf("\r\n\r\n"));
        for (int i = 0; i < headers.length(); i++) {
            assertThat(headers.charAt(i)).as("header bytes are ASCII (RFC 2047 encoded words)").isLessThan((char) 128);
        }
        if (message.nonAsciiHeaders()) {
            assertThat(headers).contains("=?UTF-8?B?");
        }
        if (message.kind() == Corpus.Kind.ATTACHMENT) {
            assertThat(text).contains("multipart/mixed", "Content-Disposition: attachment", "base64");
        }
    }
}
