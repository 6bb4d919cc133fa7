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

    @Test
    void theSerialCollectorsGenerationsAreSummed() {
        // jcmd GC.heap_info of a JVM with -XX:+UseSerialGC (JDK 25), as ./cairn starts a node or a proxy
        String serial = """
                26022:
                 def new generation   total 161344K, used 36K [0x00000000d7600000, 0x00000000e3310000, 0x00000000ebb00000)
                  eden space 129088K,   0% used [0x00000000d7600000, 0x00000000d76091c0, 0x00000000df410000)
                """.replace("def new generation", "DefNew    ") + """
                 Tenured     total 193540K, used 49745K [0x00000000ebb00000, 0x00000000f7801000, 0x0000000100000000)
                   the space 193540K,  25% used [0x00000000ebb00000, 0x00000000eeb946c8, 0x00000000f7801000)
                """;
        assertThat(IdleConnectionsBench.parseHeapUsed(serial)).isEqualTo((36L + 49745L) * 1024);
    }
}
