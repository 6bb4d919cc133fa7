// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.changelog;

import java.time.Instant;
import java.util.List;

/**
 * One entry of a user's change log: everything one commit changed. {@code seq} is the user's
 * sequence number, which is also the MODSEQ of every message and mailbox this commit touched.
 *
 * @param epoch the store's epoch when written (fencing for replication; 0 until clusters exist)
 */
public record ChangeRecord(String user, long seq, long epoch, Instant time, List<Change> changes) {
    public ChangeRecord { changes = List.copyOf(changes); }
}
