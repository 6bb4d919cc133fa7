// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.changelog;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Change records as a replica receives them from the master and as the change log reads them back
 * from disk: damaged bytes are refused with IllegalArgumentException (the replica answers with a
 * bad-frame error, the checker reports the record), never another exception or an allocation
 * sized by a corrupt count; what decodes encodes to a stable form.
 */
class ChangeCodecFuzzTest {
    @FuzzTest
    void decode(byte[] data) {
        ChangeRecord record;
        try {
            record = ChangeCodec.decode(data);
        } catch (IllegalArgumentException corrupt) {
            return;
        }
        byte[] again = ChangeCodec.encode(record);
        assertThat(ChangeCodec.encode(ChangeCodec.decode(again))).isEqualTo(again);
    }
}
