// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.store.replication.UserImage;

/**
 * A whole-user image as the replica assembles it from Resync frames: damaged bytes are refused
 * with IllegalArgumentException (which the replica turns into a bad-frame error), never another
 * exception, a user-less image or an allocation larger than the image; what decodes encodes to a
 * stable form.
 */
class UserImageFuzzTest {
    @FuzzTest
    void decode(byte[] data) {
        UserImage image;
        try {
            image = UserImageCodec.decode(data);
        } catch (IllegalArgumentException corrupt) {
            return;
        }
        assertThat(image.user()).isNotNull();
        byte[] again = UserImageCodec.encode(image);
        assertThat(UserImageCodec.encode(UserImageCodec.decode(again))).isEqualTo(again);
    }
}
