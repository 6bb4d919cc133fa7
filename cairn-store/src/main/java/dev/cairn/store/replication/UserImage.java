// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import dev.cairn.store.BodyId;
import java.util.List;
import java.util.Map;

/**
 * A consistent copy of everything a user holds, for a resync: the user's records as the engine
 * keeps them (each in a family, keyed without the slot-local user id; the change log left out),
 * the user's seq, and the bodies its messages reference. Its wire form is the replication
 * module's ({@code UserImageCodec}); only the engine that exported an image reads its entries.
 */
public record UserImage(String user, long seq, List<Entry> entries, Map<BodyId, byte[]> bodies) {
    /** One record: the engine's family (column family), its key without the user id, its value. */
    public record Entry(byte family, byte[] key, byte[] value) {}
}
