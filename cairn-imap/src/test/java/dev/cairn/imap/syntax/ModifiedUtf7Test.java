// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ModifiedUtf7Test {
    @Test void examplesOfRfc3501() throws Exception {
        assertThat(ModifiedUtf7.decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-")).isEqualTo("~peter/mail/台北/日本語");
        assertThat(ModifiedUtf7.encode("~peter/mail/台北/日本語")).isEqualTo("~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assertThat(ModifiedUtf7.decode("a&-b")).isEqualTo("a&b");
        assertThat(ModifiedUtf7.encode("a&b")).isEqualTo("a&-b");
    }

    @Test void roundTripsEverythingItEncodes() throws Exception {
        for (String s : new String[] {"Entwürfe", "Éléments envoyés", "😀 emoji", "x&y/Ω", "Корзина", ""}) {
            assertThat(ModifiedUtf7.decode(ModifiedUtf7.encode(s))).isEqualTo(s);
        }
    }

    @Test void refusesAmbiguousOrBrokenSpellings() {
        for (String bad : new String[] {"&AGE-", "&Jjo", "&Jjo!-", "&U,BTFw-&ZeVnLIqe-", "caf\u00e9", "&2D0-", "&AAB-x", "a\u0001"}) {
            assertThatThrownBy(() -> ModifiedUtf7.decode(bad)).as(bad).isInstanceOf(ModifiedUtf7.InvalidException.class);
        }
    }
}
