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

    /**
     * A jump: no changes, or only UIDs skipped (a promotion past reservations, a resync). It may
     * follow a lower seq than seq - 1; nothing a client sees changes but UIDNEXT.
     */
    public boolean isJump() {
        for (Change c : changes) if (!(c instanceof Change.UidNextRaised)) return false;
        return true;
    }
}
