// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import dev.cairn.store.MailboxId;
import java.util.HashMap;
import java.util.Map;

/**
 * A replica's record of what a master may hand out for a user: MODSEQs up to {@code seq}, UIDs
 * up to {@code uids} in the mailboxes listed and up to {@code otherUids} in every other one
 * (so a new mailbox needs no round trip for its first block).
 */
public record Reservation(long seq, Map<MailboxId, Long> uids, long otherUids) {
    public static final Reservation NONE = new Reservation(0, Map.of(), 0);

    public Reservation { uids = Map.copyOf(uids); }

    public long uid(MailboxId mailbox) { return uids.getOrDefault(mailbox, otherUids); }

    /** The larger of both, per field. */
    public Reservation max(Reservation o) {
        Map<MailboxId, Long> m = new HashMap<>();
        for (MailboxId k : uids.keySet()) m.put(k, Math.max(uid(k), o.uid(k)));
        for (MailboxId k : o.uids.keySet()) m.put(k, Math.max(uid(k), o.uid(k)));
        return new Reservation(Math.max(seq, o.seq), m, Math.max(otherUids, o.otherUids));
    }
}
