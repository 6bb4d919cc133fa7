// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SortKeysTest {
    /** i;ascii-casemap (RFC 4790 §9.2): only a-z fold, then octet order: "[" and "_" come after "Z", bytes above 0x7F last. */
    @Test void asciiCasemapOrder() {
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("_"), SortKeys.fold("z"))).isPositive();
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("["), SortKeys.fold("Z"))).isPositive();
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("abc"), SortKeys.fold("ABD"))).isNegative();
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("a"), SortKeys.fold("A"))).isZero();
        assertThat(SortKeys.ORDER.compare(SortKeys.fold("é"), SortKeys.fold("~"))).isPositive();
        assertThat(SortKeys.ORDER.compare("\uD83D\uDE00", "\uFFFD")).isPositive(); // code point order, as UTF-8 octets compare
        assertThat(SortKeys.ORDER.compare("AB", "ABC")).isNegative();
    }
}
