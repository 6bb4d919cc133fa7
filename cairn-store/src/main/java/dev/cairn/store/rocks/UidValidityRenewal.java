// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.changelog.Change;
import dev.cairn.store.replication.NewUidValidity;
import java.util.ArrayList;
import java.util.List;

/**
 * The unclean promotion's answer to UIDs it cannot vouch for: every mailbox of a user gets a new
 * UIDVALIDITY ({@link UserHeader#nextUidValidity}: above every one the user had, and never one
 * another slot of the store chooses), in one change record at the new master's epoch. It is written
 * before the new master ships anything, so its replicas apply it from the change log.
 */
final class UidValidityRenewal {
    private UidValidityRenewal() {}

    static List<NewUidValidity> renew(RocksSlotStore slot, String user, long epoch) {
        UserState s = slot.lockedState(user);
        if (s == null) return List.of();
        try {
            UserState.Data d = s.data;
            if (d.byNum().isEmpty()) return List.of();
            Txn t = new Txn(s, d);
            t.epoch = epoch;
            t.replicated = true; // no reservation to ask for: no replica follows yet
            List<NewUidValidity> out = new ArrayList<>();
            for (MailboxMeta m : d.byNum().values()) {
                long uidValidity = slot.replication().nextUidValidity(t.header);
                slot.applier.apply(t, new Change.UidValidityChanged(m.id, uidValidity));
                out.add(new NewUidValidity(user, m.name, m.uidValidity, uidValidity));
            }
            s.commit(t);
            return out;
        } finally {
            s.lock.unlock();
        }
    }
}
