// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import dev.cairn.store.BodyId;
import java.util.List;
import java.util.Set;

/**
 * A master's copy of one user for a resync, read in parts from one consistent view of the user
 * (taken when the stream opened, durable here), so that neither side ever holds the whole user:
 * the records come {@link #next} a bounded part at a time, the bodies they reference one by one
 * by id ({@link #body}; a body never changes once written). Close it to let the view go.
 */
public interface UserImageStream extends AutoCloseable {
    String user();

    /** The user's seq in the view. */
    long seq();

    /** Records of a part, the bodies they reference, and whether it is the last part. */
    record Part(List<UserImage.Entry> entries, Set<BodyId> bodies, boolean last) {}

    /** The next records, about {@code maxBytes} of keys and values (at least one record while any is left). */
    Part next(int maxBytes);

    /** The body as the view saw it, or null when it is gone since (expunged and reclaimed: copy the user again). */
    byte[] body(BodyId body);

    @Override void close();
}
