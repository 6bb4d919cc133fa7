// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AddressesTest {
    @Test
    void canonicalFormIsLowerCase() {
        assertThat(Addresses.canonical("Alice@Example.ORG")).isEqualTo("alice@example.org");
        assertThat(Addresses.canonical("alice@example.org.")).isEqualTo("alice@example.org");
    }

    @Test
    void splitsDetail() {
        Addresses.Parsed p = Addresses.parse("Alice+Lists@example.org").orElseThrow();
        assertThat(p.local()).isEqualTo("alice+lists");
        assertThat(p.detail()).contains("lists");
        assertThat(p.withoutDetail()).contains(new Addresses.Parsed("alice", "example.org"));
        assertThat(Addresses.parse("alice@example.org").orElseThrow().detail()).isEmpty();
        // A leading '+' is part of the local part, not an empty base with a detail.
        assertThat(Addresses.parse("+x@example.org").orElseThrow().withoutDetail()).isEmpty();
        assertThat(Addresses.parse("a+b+c@example.org").orElseThrow().detail()).isEqualTo(Optional.of("b+c"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "alice", "@example.org", "alice@", "a b@example.org", "alice@exa mple.org",
            "a\u0000@example.org", "a\r\n@example.org", "<alice@example.org>", "\"a b\"@example.org", "a@b@example.org",
            ".alice@example.org", "alice.@example.org", "al..ice@example.org", "alice@-example.org", "alice@example..org",
            "alice@example-.org", "a,b@example.org", "alice@[127.0.0.1]", "a\ud800@example.org"})
    void refusesBadAddresses(String address) {
        assertThat(Addresses.parse(address)).isEmpty();
        assertThat(Addresses.problem(address)).isNotNull();
        assertThatThrownBy(() -> Addresses.canonical(address))
                .isInstanceOfSatisfying(DirectoryException.class,
                        e -> assertThat(e.reason()).isEqualTo(DirectoryException.Reason.INVALID_ADDRESS));
    }

    @Test
    void lengthLimits() {
        String domain = "@example.org";
        assertThat(Addresses.parse("a".repeat(64) + domain)).isPresent();
        assertThat(Addresses.parse("a".repeat(65) + domain)).isEmpty();
        String label = "b".repeat(63);
        assertThat(Addresses.parse("a@" + label + ".org")).isPresent();
        assertThat(Addresses.parse("a@" + label + "b.org")).isEmpty();
        // 254 octets in all is the most a path can carry (RFC 5321 section 4.5.3.1.3).
        String longDomain = String.join(".", label, label, label) + ".";
        String local = "a".repeat(254 - 1 - longDomain.length() - 3);
        assertThat(Addresses.parse(local + "@" + longDomain + "org")).isPresent();
        assertThat(Addresses.parse(local + "x@" + longDomain + "org")).isEmpty();
    }

    @Test
    void acceptsInternationalAddresses() {
        assertThat(Addresses.canonical("J\u00dcRGEN@B\u00dcCHER.example")).isEqualTo("j\u00fcrgen@b\u00fccher.example");
    }
}
