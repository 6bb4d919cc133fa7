// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.ParsedMessage.BodyPart;

/**
 * Any octets as a message body: the parser never throws, every part's offsets lie inside its
 * parent's body in order (what BODY[n.m] slices), the tree stays within its depth and part
 * budgets, and the stored form decodes to the same parse.
 */
class MimeParserFuzzTest {
    @FuzzTest
    @DictionaryFile(resourcePath = "/dev/cairn/store/mime/MimeParserFuzzTest.dict")
    void parse(byte[] message) {
        ParsedMessage parsed = MimeParser.parse(message);
        assertThat(parsed.envelope()).isNotNull();
        assertThat(parsed.references()).hasSizeLessThanOrEqualTo(message.length / 3 + 1);
        int[] parts = {0};
        check(parsed.structure(), 0, message.length, 0, parts);
        assertThat(ParsedCodec.decode(ParsedCodec.encode(parsed))).isEqualTo(parsed);
    }

    private static void check(BodyPart p, long from, long to, int depth, int[] parts) {
        assertThat(depth).isLessThanOrEqualTo(MimeParser.MAX_DEPTH + 1);
        assertThat(++parts[0]).isLessThanOrEqualTo(2 * 10_000);
        assertThat(p.type()).isNotEmpty();
        assertThat(p.subtype()).isNotEmpty();
        assertThat(p.headerOffset()).isBetween(from, to);
        assertThat(p.bodyOffset()).isBetween(p.headerOffset(), to);
        assertThat(p.endOffset()).isBetween(p.bodyOffset(), to);
        assertThat(p.size()).isEqualTo(p.endOffset() - p.bodyOffset());
        assertThat(p.lines()).isBetween(-1L, p.size() + 1);
        long previousEnd = p.bodyOffset();
        for (BodyPart child : p.children()) {
            check(child, previousEnd, p.endOffset(), depth + 1, parts);
            previousEnd = child.endOffset();
        }
        if (p.embedded() != null) check(p.embedded(), p.bodyOffset(), p.endOffset(), depth + 1, parts);
    }
}
