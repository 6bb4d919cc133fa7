// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.store.ParsedMessage;
import java.io.UncheckedIOException;

/**
 * The stored parse of a body (the "parsed" column family) read back from damaged bytes: it decodes
 * or fails with UncheckedIOException, the codec's one error, never another exception or an
 * allocation sized by a corrupt count; what decodes encodes to a stable form.
 */
class ParsedCodecFuzzTest {
    @FuzzTest
    void decode(byte[] stored) {
        ParsedMessage m;
        try {
            m = ParsedCodec.decode(stored);
        } catch (UncheckedIOException corrupt) {
            return;
        }
        byte[] again = ParsedCodec.encode(m);
        assertThat(ParsedCodec.encode(ParsedCodec.decode(again))).isEqualTo(again);
    }
}
