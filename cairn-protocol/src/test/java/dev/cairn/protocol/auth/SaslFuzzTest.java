// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * SASL responses as a client sends them (a base64 line, RFC 4616 and the LOGIN draft): refused
 * with SaslException or decoded into fields within their bounds that encode back to the same
 * credentials. The raw input is tried both as the response line and as the decoded message.
 */
class SaslFuzzTest {
    @FuzzTest
    void responses(byte[] data) {
        String line = new String(data, StandardCharsets.UTF_8);
        decode(line);
        // the same octets as the client's decoded message, to reach past the base64 layer
        decode(Base64.getEncoder().encodeToString(data));
    }

    private static void decode(String response) {
        try {
            Sasl.Credentials c = Sasl.decodePlain(response);
            assertWithinBounds(c.authcid());
            assertWithinBounds(c.password());
            assertThat(c.authcid()).isNotEmpty();
            assertThat(c.password()).isNotEmpty();
            if (c.authzid() != null) assertWithinBounds(c.authzid());
            String again = (c.authzid() == null ? "" : c.authzid()) + "\0" + c.authcid() + "\0" + c.password();
            assertThat(Sasl.decodePlain(Sasl.encodeBase64(again))).isEqualTo(c);
        } catch (SaslException refused) {
            // the client gets NO / -ERR / 501
        }
        try {
            String field = Sasl.decodeLoginField(response);
            assertWithinBounds(field);
            assertThat(field).isNotEmpty().doesNotContain("\0");
            assertThat(Sasl.decodeLoginField(Sasl.encodeBase64(field))).isEqualTo(field);
        } catch (SaslException refused) {
            // likewise
        }
        try {
            assertThat(Sasl.decodeBase64(response).length).isLessThanOrEqualTo(3 * Sasl.MAX_RESPONSE_CHARS / 4);
        } catch (SaslException refused) {
            // likewise
        }
    }

    private static void assertWithinBounds(String field) {
        assertThat(field.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Sasl.MAX_FIELD_OCTETS);
    }
}
