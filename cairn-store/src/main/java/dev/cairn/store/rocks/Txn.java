// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One commit of a user being built, under the user's write lock: copies of the mailboxes and
 * counters it changes, its write ops, its changes, the bodies it brings and their reference-count
 * deltas, and what to run once it is durable. {@link UserState#commit} writes it.
 */
final class Txn {
    private final UserState user;
    final UserState.Data before;
    final UserHeader header;
    /** This commit's seq (MODSEQ); a replica applying several records in one batch moves it record by record. */
    long seq;
    /**
     * A replica's group of a master's records applied in this one batch (ReplicaApplier.applyAll):
     * written to the change log as they are, instead of one record of {@link #changes}.
     */
    List<ChangeRecord> records;
    final Instant now = Instant.now();
    /** The epoch the change record carries; a replica keeps the master's (see ReplicaApplier). */
    long epoch;
    /** Applied from a master's change log: no reservation, no shipping, no fence. */
    boolean replicated;
    final Map<Integer, MailboxMeta> touched = new LinkedHashMap<>();
    final Set<Integer> removed = new TreeSet<>();
    final Map<Integer, MailboxMeta> added = new LinkedHashMap<>();
    Set<String> subscriptions;
    final WriteOps ops = new WriteOps();
    final List<Change> changes = new ArrayList<>();
    final Map<BodyId, Long> refDelta = new HashMap<>();
    final Map<BodyId, PreparedBody> bodies = new HashMap<>();
    final List<Runnable> afterCommit = new ArrayList<>();
    final Map<String, Long> newThreads = new HashMap<>();
    boolean userDeleted;
    /** The user's account as this commit left it (empty: removed); null while the commit has not touched it. */
    java.util.Optional<dev.cairn.store.Account> account;
    /** Address index entries this commit wrote (null: removed), see {@link Accounts#write}. */
    final Map<String, java.util.TreeSet<String>> addressOwners = new HashMap<>();

    Txn(UserState user, UserState.Data before) { this(user, before, before.header().seq + 1); }

    /** A commit at a given seq: a replica applies a master's record under the master's number. */
    Txn(UserState user, UserState.Data before, long seq) {
        this.user = user;
        this.epoch = user.slot.epoch();
        this.before = before;
        this.header = before.header().copy();
        this.seq = seq;
    }

    MailboxMeta mailbox(MailboxMeta m) {
        MailboxMeta copy = touched.get(m.num);
        if (copy == null) {
            copy = added.containsKey(m.num) ? added.get(m.num) : m.copy();
            touched.put(m.num, copy);
        }
        return copy;
    }

    /** The mailbox as this commit sees it (new or renamed ones included), by canonical name. */
    MailboxMeta byName(String n) {
        for (MailboxMeta m : touched.values()) if (m.name.equals(n) && !removed.contains(m.num)) return m;
        for (MailboxMeta m : added.values()) if (m.name.equals(n)) return m;
        MailboxMeta m = before.byName(n);
        if (m == null || removed.contains(m.num) || touched.containsKey(m.num)) return null;
        return m;
    }

    void ref(BodyId body, long delta) { refDelta.merge(body, delta, Long::sum); }

    UserState user() { return user; }

    /** A change this commit made (its effect written through the ChangeApplier): logged, and published to the views after the commit. */
    void add(Change c) {
        changes.add(c);
        ChangePublisher.publish(this, c);
    }

    byte[] key(MailboxMeta m, long uid) { return Keys.message(user.id, m.num, uid); }

    private ChangeApplier.Pending pending;

    /** What this commit wrote so far, for a replica's later changes of the same batch (ChangeApplier.apply). */
    ChangeApplier.Pending pending() {
        if (pending == null) pending = new ChangeApplier.Pending();
        return pending;
    }
}
