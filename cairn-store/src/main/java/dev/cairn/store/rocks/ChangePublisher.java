// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.ModSeq;
import dev.cairn.store.Results.FlagUpdate;
import dev.cairn.store.Uid;
import dev.cairn.store.changelog.Change;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Moves the open mailbox views on by a commit's changes, after the commit is durable: the same
 * for a master's command and a replica's apply, so a replica's views follow without a reload.
 */
final class ChangePublisher {
    private ChangePublisher() {}

    /**
     * After the commit, the open view of each mailbox the change touched gets its snapshot moved on
     * by the change, and its listeners the change; the mailbox's info is taken as it stands after
     * the change (a replica's batch of records publishes each in turn).
     */
    static void publish(Txn t, Change c) {
        UserState s = t.user();
        long seq = t.seq;
        switch (c) {
            case Change.UserCreated _, Change.MailboxCreated _, Change.Subscribed _, Change.Unsubscribed _, Change.AclSet _,
                 Change.AccountSet _, Change.AccountRemoved _ -> { }
            case Change.UserDeleted _ -> t.afterCommit.add(() -> s.deletedAt(seq));
            case Change.MailboxDeleted d -> {
                MailboxMeta m = t.before.byId(d.id());
                if (m != null) t.afterCommit.add(() -> {
                    View v = s.closeView(m.num);
                    if (v != null) v.publish(v.current(), new MailboxChange.Deleted(seq));
                });
            }
            case Change.MailboxRenamed r -> publishInfo(t, r.id(), new MailboxChange.Renamed(r.newName(), seq));
            case Change.UidNextRaised r -> publishInfo(t, r.mailbox(), null);
            case Change.UidValidityChanged v -> publishInfo(t, v.mailbox(), new MailboxChange.UidValidityChanged(v.uidValidity(), seq));
            case Change.MessagesAppended a -> {
                MailboxMeta w = ChangeApplier.existing(t, a.mailbox());
                MailboxInfo info = w.info();
                String[] keywords = w.keywords;
                int n = a.messages().size();
                long[] uids = new long[n], modSeqs = new long[n], masks = new long[n];
                List<MessageRecord> records = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    Change.AppendedMessage m = a.messages().get(i);
                    uids[i] = m.uid();
                    modSeqs[i] = seq;
                    masks[i] = w.mask(m.flags(), false);
                    records.add(new MessageRecord(w.id, Uid.of(m.uid()), ModSeq.of(seq), m.flags(), m.internalDate(), m.saveDate(),
                            m.size(), m.body(), m.threadId()));
                }
                MailboxChange change = new MailboxChange.Appended(records, seq);
                t.afterCommit.add(() -> {
                    View v = s.openView(w.num);
                    if (v != null) v.publish(v.current().appended(info, keywords, uids, modSeqs, masks), change);
                });
            }
            case Change.FlagsSet f -> {
                MailboxMeta w = ChangeApplier.existing(t, f.mailbox());
                MailboxInfo info = w.info();
                String[] keywords = w.keywords;
                List<FlagUpdate> updates = new ArrayList<>();
                long[] masks = new long[f.messages().size()];
                for (int i = 0; i < masks.length; i++) {
                    Change.FlagState st = f.messages().get(i);
                    updates.add(new FlagUpdate(Uid.of(st.uid()), ModSeq.of(seq), st.flags()));
                    masks[i] = w.mask(st.flags(), false);
                }
                MailboxChange change = new MailboxChange.FlagsChanged(updates, seq);
                t.afterCommit.add(() -> {
                    View v = s.openView(w.num);
                    if (v == null) return;
                    Snapshot now = v.current();
                    int[] at = new int[masks.length];
                    long[] ms = new long[masks.length];
                    int k = 0;
                    for (int i = 0; i < masks.length; i++) {
                        int x = now.indexOf(updates.get(i).uid());
                        if (x >= 0) { at[k] = x; ms[k++] = masks[i]; }
                    }
                    v.publish(now.flagged(info, keywords, Arrays.copyOf(at, k), seq, Arrays.copyOf(ms, k)), change);
                });
            }
            case Change.MessagesExpunged e -> {
                MailboxMeta w = ChangeApplier.existing(t, e.mailbox());
                MailboxInfo info = w.info();
                String[] keywords = w.keywords;
                t.afterCommit.add(() -> {
                    View v = s.openView(w.num);
                    if (v == null) return;
                    Snapshot now = v.current();
                    // Only what the view holds is told (a vanished UID never was there).
                    List<Uid> gone = e.uids().stream().map(Uid::of).filter(u -> now.indexOf(u) >= 0).toList();
                    if (gone.isEmpty()) v.publish(now.withInfo(info, keywords), null);
                    else v.publish(now.expunged(info, keywords, gone.stream().mapToInt(now::indexOf).sorted().toArray()),
                            new MailboxChange.Expunged(gone, seq));
                });
            }
        }
    }

    /** The mailbox's new info for its open view (renamed, UIDNEXT raised), with the change for its listeners. */
    private static void publishInfo(Txn t, MailboxId id, MailboxChange change) {
        MailboxMeta w = ChangeApplier.existing(t, id);
        MailboxInfo info = w.info();
        String[] keywords = w.keywords;
        UserState s = t.user();
        t.afterCommit.add(() -> {
            View v = s.openView(w.num);
            if (v != null) v.publish(v.current().withInfo(info, keywords), change);
        });
    }

}
