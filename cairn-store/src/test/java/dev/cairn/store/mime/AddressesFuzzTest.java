// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.store.ParsedMessage.Address;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Address header values (RFC 5322 §3.4) into ENVELOPE address lists: never an exception, at most
 * the bounded number of entries, each field a piece of the input, groups opened and closed in
 * pairs (RFC 9051 §7.5.2 group markers).
 */
class AddressesFuzzTest {
    @FuzzTest
    @DictionaryFile(resourcePath = "/dev/cairn/store/mime/AddressesFuzzTest.dict")
    void parse(byte[] data) {
        String value = new String(data, StandardCharsets.UTF_8);
        List<Address> list = Addresses.parse(value);
        assertThat(list).isNotNull().hasSizeLessThanOrEqualTo(1001);
        int open = 0;
        for (Address a : list) {
            for (String field : new String[] {a.name(), a.adl(), a.mailbox(), a.host()}) {
                if (field != null) assertThat(field.length()).isLessThanOrEqualTo(value.length());
            }
            if (a.host() == null && a.mailbox() != null) open++; // group start
            else if (a.host() == null) {
                assertThat(open).as("group end without a start").isPositive();
                open--;
            } else {
                assertThat(a.mailbox()).isNotNull();
            }
        }
        assertThat(open).as("groups left open").isZero();
    }
}
