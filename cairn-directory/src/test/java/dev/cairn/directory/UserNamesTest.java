// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UserNamesTest {
    @Test
    void canonicalFormIsLowerCaseNfc() {
        assertThat(UserNames.canonical("Alice")).isEqualTo("alice");
        assertThat(UserNames.canonical("Alice@Example.ORG")).isEqualTo("alice@example.org");
        // "e" + combining acute accent becomes the precomposed "é".
        assertThat(UserNames.canonical("Jose\u0301")).isEqualTo("jos\u00e9");
        assertThat(UserNames.canonical("INGRID")).isEqualTo("ingrid");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "a b", "a\tb", "a\nb", "a\rb", "a\u0000b", "a\u007fb", "a\u0085b", "a\u2028b",
            "a/b", "a\\b", "a\"b", "a*b", "a%b", "a:b", ".", "..", "anyone", "ANYONE", "-alice", "@alice", "alice@",
            "a\ud800b", "a\udc00"})
    void refusesBadNames(String name) {
        assertThat(UserNames.isValid(name)).isFalse();
        assertThatThrownBy(() -> UserNames.canonical(name))
                .isInstanceOfSatisfying(DirectoryException.class,
                        e -> assertThat(e.reason()).isEqualTo(DirectoryException.Reason.INVALID_USER_NAME));
    }

    @Test
    void refusesNull() {
        assertThat(UserNames.isValid(null)).isFalse();
    }

    @Test
    void lengthLimitIsInUtf8Octets() {
        assertThat(UserNames.isValid("a".repeat(255))).isTrue();
        assertThat(UserNames.isValid("a".repeat(256))).isFalse();
        // 127 two-octet characters = 254 octets; 128 = 256.
        assertThat(UserNames.isValid("\u00e9".repeat(127))).isTrue();
        assertThat(UserNames.isValid("\u00e9".repeat(128))).isFalse();
    }

    @Test
    void acceptsUsualNames() {
        for (String name : new String[] {"alice", "bob.smith", "carol_1", "dave-x", "eve@example.org", "j\u00fcrgen", "\u7530\u4e2d", "a+b"}) {
            assertThat(UserNames.isValid(name)).as(name).isTrue();
        }
    }
}
