// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Modified UTF-7 (RFC 3501 §5.1.3) both ways: every name survives encode then decode, and a name
 * that decodes was written in its one canonical spelling (decode then encode gives it back).
 * Anything else is refused with InvalidException, never another exception.
 */
class ModifiedUtf7FuzzTest {
    @FuzzTest
    void roundTrip(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8); // well-formed UTF-16, as names from clients are
        String encoded = ModifiedUtf7.encode(text);
        assertThat(encoded).hasSizeLessThanOrEqualTo(8 + 4 * text.length());
        for (int i = 0; i < encoded.length(); i++) assertThat(encoded.charAt(i)).isBetween(' ', '~');
        try {
            assertThat(ModifiedUtf7.decode(encoded)).isEqualTo(text);
        } catch (ModifiedUtf7.InvalidException e) {
            throw new AssertionError("its own encoding of " + text + " refused: " + e.getMessage(), e);
        }
        try {
            String decoded = ModifiedUtf7.decode(text);
            assertThat(ModifiedUtf7.encode(decoded)).isEqualTo(text);
        } catch (ModifiedUtf7.InvalidException refused) {
            // not a modified UTF-7 spelling: the client gets NO [CANNOT]
        }
    }
}
