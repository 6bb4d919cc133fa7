// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * A znode's data as anyone with write access to the ensemble (or a bug, or a newer version) may
 * have left it: decoding either gives a record or refuses with {@link RecordFormatException},
 * never another exception; a record it gives is written back in a form that reads as the same
 * record, and is written the same way again (the compare-and-set writers never flip a record's
 * bytes by reading and writing it).
 */
class RecordCodecFuzzTest {

    @FuzzTest
    void decodeIsTotalAndStable(byte[] data) {
        ClusterRecord record;
        try {
            record = RecordCodec.decode(data, "/cairn/fuzz");
        } catch (RecordFormatException refused) {
            assertThat(refused.getMessage()).startsWith("/cairn/fuzz");
            return;
        }
        byte[] written = RecordCodec.encode(record);
        ClusterRecord again;
        try {
            again = RecordCodec.decode(written, "/cairn/fuzz");
        } catch (RecordFormatException e) {
            throw new AssertionError("a decoded record is written in a form that does not read: " + record, e);
        }
        assertThat(again).isEqualTo(record);
        assertThat(RecordCodec.encode(again)).isEqualTo(written);
    }
}
