// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** What a cluster node registers for its listeners: never a wildcard, which no other node can connect to. */
class AdvertisedAddressTest {
    @Test void aListenerBoundToOneAddressIsRegisteredAtItUnlessAdvertiseSaysOtherwise() {
        assertThat(AdvertisedAddress.of(new InetSocketAddress("127.0.0.1", 143), null)).isEqualTo("127.0.0.1:143");
        assertThat(AdvertisedAddress.of(new InetSocketAddress("::1", 143), null)).isEqualTo("[0:0:0:0:0:0:0:1]:143");
        assertThat(AdvertisedAddress.of(new InetSocketAddress("127.0.0.1", 143), "mail1.example.org")).isEqualTo("mail1.example.org:143");
        assertThat(AdvertisedAddress.of(new InetSocketAddress("0.0.0.0", 7000), "2001:db8::1")).isEqualTo("[2001:db8::1]:7000");
    }

    @Test void aWildcardBindIsRegisteredAtTheMachinesAddressNotAtTheWildcard() {
        String machine = AdvertisedAddress.machineAddress();
        assertThat(AdvertisedAddress.of(new InetSocketAddress("0.0.0.0", 143), null)).isEqualTo(
                (machine.contains(":") ? "[" + machine + "]" : machine) + ":143").doesNotStartWith("0.0.0.0");
        assertThat(AdvertisedAddress.of(new InetSocketAddress("::", 143), null)).doesNotContain("[0:0:0:0:0:0:0:0]").doesNotStartWith("[::]");
        // Not a loopback address on a machine that has another (every CI machine has a network).
        assertThat(machine).isNotEmpty();
    }
}
