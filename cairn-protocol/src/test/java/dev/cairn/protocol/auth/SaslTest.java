// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SaslTest {
    static String b64(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }

    static String b64(byte[] b) { return Base64.getEncoder().encodeToString(b); }

    @Test
    void plainWithAndWithoutAuthzid() throws Exception {
        assertThat(Sasl.decodePlain(b64("\0alice\0secret"))).isEqualTo(new Sasl.Credentials(null, "alice", "secret"));
        assertThat(Sasl.decodePlain(b64("bob\0alice\0secret"))).isEqualTo(new Sasl.Credentials("bob", "alice", "secret"));
        assertThat(Sasl.decodePlain(b64("\0jösé\0pässwörd"))).isEqualTo(new Sasl.Credentials(null, "jösé", "pässwörd"));
    }

    @Test
    void plainStructureIsStrict() {
        for (String bad : new String[] {"alice\0secret", "\0\0secret", "\0alice\0", "\0alice\0sec\0ret", "", "nonul"}) {
            assertThatThrownBy(() -> Sasl.decodePlain(b64(bad))).as(bad.replace("\0", "\\0")).isInstanceOf(SaslException.class);
        }
        assertThatThrownBy(() -> Sasl.decodePlain("not base64!")).isInstanceOf(SaslException.class);
        assertThatThrownBy(() -> Sasl.decodePlain("=")).isInstanceOf(SaslException.class);
        assertThatThrownBy(() -> Sasl.decodePlain(b64(new byte[] {0, 'a', 0, (byte) 0xff}))).hasMessageContaining("UTF-8");
    }

    @Test
    void fieldLimitsAtTheBoundary() throws Exception {
        String max = "p".repeat(Sasl.MAX_FIELD_OCTETS);
        assertThat(Sasl.decodePlain(b64("\0alice\0" + max)).password()).hasSize(Sasl.MAX_FIELD_OCTETS);
        assertThatThrownBy(() -> Sasl.decodePlain(b64("\0alice\0" + max + "p"))).isInstanceOf(SaslException.class);
        assertThatThrownBy(() -> Sasl.decodePlain("A".repeat(Sasl.MAX_RESPONSE_CHARS + 4))).hasMessageContaining("too long");
    }

    @Test
    void loginFields() throws Exception {
        assertThat(Sasl.decodeLoginField(b64("alice"))).isEqualTo("alice");
        assertThat(new String(Base64.getDecoder().decode(Sasl.LOGIN_USERNAME_CHALLENGE), StandardCharsets.US_ASCII)).isEqualTo("Username:");
        assertThat(new String(Base64.getDecoder().decode(Sasl.LOGIN_PASSWORD_CHALLENGE), StandardCharsets.US_ASCII)).isEqualTo("Password:");
        assertThatThrownBy(() -> Sasl.decodeLoginField(b64("a\0b"))).isInstanceOf(SaslException.class);
        assertThatThrownBy(() -> Sasl.decodeLoginField("")).isInstanceOf(SaslException.class);
        assertThat(Sasl.isCancel("*")).isTrue();
    }

    @Test
    void credentialsNeverPrintThePassword() {
        assertThat(new Sasl.Credentials(null, "alice", "secret").toString()).doesNotContain("secret");
    }
}
