// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LimitsTest {
    @Test
    void withersChangeOneField() {
        Limits l = Limits.DEFAULT.withMaxLineLength(1000).withMaxBadCommands(5);
        assertThat(l.maxLineLength()).isEqualTo(1000);
        assertThat(l.maxBadCommands()).isEqualTo(5);
        assertThat(l.maxLiteralSize()).isEqualTo(Limits.DEFAULT.maxLiteralSize());
    }

    @Test
    void nonsenseIsRefused() {
        assertThatThrownBy(() -> Limits.DEFAULT.withMaxLineLength(10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Limits.DEFAULT.withMaxBadCommands(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
