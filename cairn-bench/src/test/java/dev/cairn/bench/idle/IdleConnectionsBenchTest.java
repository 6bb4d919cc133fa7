// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.idle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IdleConnectionsBenchTest {
    @Test
    void readsLiveHeapFromG1HeapInfo() {
        String g1 = """
                12345:
                 garbage-first heap   total 262144K, used 10240K [0x0000000700000000, 0x0000000800000000)
                  region size 1024K, 3 young (3072K), 0 survivors (0K)
                 Metaspace       used 20000K, committed 20480K, reserved 1114112K
                """;
        assertThat(IdleConnectionsBench.parseHeapUsed(g1)).isEqualTo(10240L * 1024);
    }

    @Test
    void readsLiveHeapFromJdk25HeapInfo() {
        String g1 = """
                6400:
                garbage-first heap   total reserved 6172672K, committed 98304K, used 29285K [0x0000000687400000, 0x0000000800000000)
                 region size 4096K, 1 young (4096K), 0 survivors (0K)
                """;
        assertThat(IdleConnectionsBench.parseHeapUsed(g1)).isEqualTo(29285L * 1024);
    }

    @Test
    void refusesOutputWithoutHeapFigure() {
        assertThatThrownBy(() -> IdleConnectionsBench.parseHeapUsed("12345:\nAttachNotSupportedException"))
                .isInstanceOf(IllegalStateException.class);
    }
}
