// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Content-Transfer-Encoding: strict for BINARY, lenient for SEARCH (RFC 2045 §6, RFC 3516 §4.3). */
class TransferDecodingTest {
    private static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }

    private static String lenient(String raw) {
        return new String(TransferDecoding.leniently(ascii(raw), "BASE64"), StandardCharsets.ISO_8859_1);
    }

    @Test void wellFormedBase64DecodesAlikeBothWays() throws Exception {
        Random random = new Random(2045);
        for (int n = 0; n < 200; n++) {
            byte[] data = new byte[n];
            random.nextBytes(data);
            byte[] encoded = Base64.getMimeEncoder().encode(data);
            assertThat(TransferDecoding.strictly(encoded, "base64")).isEqualTo(data);
            assertThat(TransferDecoding.leniently(encoded, "Base64")).isEqualTo(data);
        }
    }

    @Test void brokenBase64IsRefusedStrictlyAndDecodedAsFarAsItGoesLeniently() {
        for (String broken : new String[] {"QUJD=RUZH", "QUJDR", "QQ==QQ==", "=QUJD"}) {
            assertThatThrownBy(() -> TransferDecoding.strictly(ascii(broken), "base64")).as(broken)
                    .isInstanceOf(TransferDecoding.UndecodableException.class);
        }
        assertThat(lenient("QUJD=RUZH\r\nSUpL!!")).isEqualTo("ABCEFGIJK");
        assertThat(lenient("QUJDR")).isEqualTo("ABC");
        assertThat(lenient("QQ==QQ==")).isEqualTo("AA");
        assertThat(lenient("QUI")).isEqualTo("AB");
    }

    @Test void identityEncodingsPassAndUnknownOnesAreUndecodableOnlyStrictly() throws Exception {
        byte[] raw = ascii("=?x?= \u0000");
        for (String identity : new String[] {null, "", "7BIT", "8bit", "binary"}) {
            assertThat(TransferDecoding.strictly(raw, identity)).isEqualTo(raw);
        }
        assertThatThrownBy(() -> TransferDecoding.strictly(raw, "x-uuencode")).isInstanceOf(TransferDecoding.UndecodableException.class);
        assertThat(TransferDecoding.leniently(raw, "x-uuencode")).isEqualTo(raw);
    }

    @Test void quotedPrintableKeepsBadEscapes() throws Exception {
        assertThat(TransferDecoding.strictly(ascii("caf=C3=A9 =ZZ soft=\r\nbreak"), "quoted-printable"))
                .isEqualTo("café =ZZ softbreak".getBytes(StandardCharsets.UTF_8));
    }
}
