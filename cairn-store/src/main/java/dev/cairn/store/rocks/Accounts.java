// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.Account;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users' accounts in the slot and the address index that follows them. An account is the
 * value of {@code meta [user][ACCOUNT]}, written by the user's own change records
 * ({@link Change.AccountSet}, {@link Change.AccountRemoved}, {@link Change.UserDeleted}), so it is
 * replicated, reconciled and copied by a resync (it is one of the user's meta records) like the
 * mail. The index {@code meta [0][ADDRESS_OWNER][address]} holds the users whose accounts list the
 * address; every write of an account (a master's command, a replica's apply, an image installed)
 * adds or removes only its own user there, in the same batch, under {@link #lock}. So the index
 * depends only on the accounts, never on the order their records arrived in (a replica applies
 * the users of different channels in any order).
 *
 * <p>One address, one user: a master refuses an account that lists an address another account
 * holds ({@link #setAccount}), so normally an entry names one user. A replica applies what its
 * master wrote and may still get two accounts that list one address (two masters of a split
 * brain): the entry then names both, the user whose name sorts first receives the mail and logs
 * in with it, on every node alike, and a WARN names both; when one of them drops the address,
 * the other has it alone.
 */
final class Accounts {
    private static final Logger log = LoggerFactory.getLogger(Accounts.class);
    /** Tags: the user's account (per user), the address index (user 0); far from the other tags. */
    static final byte ACCOUNT = 16, ADDRESS_OWNER = 20;

    private final RocksSlotStore slot;
    /** Held from the index read to the durable commit of every account write; before the registry and user locks. */
    final ReentrantLock lock = new ReentrantLock();

    Accounts(RocksSlotStore slot) { this.slot = slot; }

    static byte[] accountKey(int user) { return Keys.userTag(user, ACCOUNT); }

    static byte[] ownerKey(String address) { return Keys.userTagString(0, ADDRESS_OWNER, address); }

    /** The account as stored, or null. */
    Account stored(int user) {
        byte[] v = slot.get(slot.meta, accountKey(user));
        return v == null ? null : ChangeCodec.decodeAccount(v);
    }

    Account account(String user) {
        Integer id = slot.userId(user);
        return id == null ? null : stored(id);
    }

    /** The user whose account lists the address (the first by name if several do), or null. */
    String owner(String address) {
        TreeSet<String> users = claimants(slot.get(slot.meta, ownerKey(address)));
        return users.isEmpty() ? null : users.first();
    }

    private static TreeSet<String> claimants(byte[] v) {
        TreeSet<String> users = new TreeSet<>();
        if (v != null && v.length > 0) users.addAll(List.of(new String(v, StandardCharsets.UTF_8).split("\n")));
        return users;
    }

    private static byte[] encode(TreeSet<String> users) {
        return String.join("\n", users).getBytes(StandardCharsets.UTF_8); // a user name holds no control character
    }

    // --- the master's writes -----------------------------------------------------------------------

    /**
     * Sets the user's account in one commit of the user (created first, with its default folders,
     * when the slot does not have it): ALREADY_EXISTS when another account holds one of its
     * addresses, UNAVAILABLE when the slot takes no writes (a replica).
     */
    void setAccount(String user, Account account) {
        slot.replication().checkWritable();
        lock.lock();
        try {
            for (String address : account.addresses()) {
                TreeSet<String> others = claimants(slot.get(slot.meta, ownerKey(address)));
                others.remove(user);
                if (!others.isEmpty()) {
                    throw new StoreException(Reason.ALREADY_EXISTS, "address " + address + " belongs to user " + others.first());
                }
            }
            slot.openOrCreateUser(user);
            writeChange(user, new Change.AccountSet(account));
        } finally {
            lock.unlock();
        }
    }

    /** Removes the user's account, keeping its mail; false when it had none. */
    boolean removeAccount(String user) {
        lock.lock();
        try {
            if (account(user) == null) return false;
            writeChange(user, new Change.AccountRemoved());
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void writeChange(String user, Change change) {
        for (int attempt = 0; ; attempt++) {
            UserState s = slot.state(user);
            if (s == null) throw new StoreException(Reason.NO_SUCH_USER, "no such user: " + user);
            try {
                s.write(t -> {
                    slot.applier.apply(t, change);
                    return null;
                });
                return;
            } catch (UserState.Evicted e) {
                if (attempt > 1000) throw new StoreException(Reason.UNAVAILABLE, "user state keeps being evicted");
            }
        }
    }

    // --- the effect of a change, on master and replica alike ----------------------------------------

    /**
     * Writes the account (null: removes it) and moves the user in the index from {@code before}'s
     * addresses to {@code after}'s, into {@code ops}. {@code pending} holds the index entries this
     * batch wrote already. The caller holds {@link #lock}.
     */
    void write(WriteOps ops, Map<String, TreeSet<String>> pending, String user, int id, Account before, Account after) {
        if (after == null) ops.delete(slot.meta, accountKey(id));
        else ops.put(slot.meta, accountKey(id), ChangeCodec.encodeAccount(after));
        index(ops, pending, user, before, after);
    }

    /**
     * A replica's staged copy of the user (its account record written with the rest of the copy)
     * becomes the user: the index moves from the old copy's account to the copy's, into the
     * switch's batch. The caller holds {@link #lock}.
     */
    void switched(WriteOps ops, String user, Account before, Account after) {
        index(ops, new java.util.HashMap<>(), user, before, after);
    }

    private void index(WriteOps ops, Map<String, TreeSet<String>> pending, String user, Account before, Account after) {
        Set<String> kept = after == null ? Set.of() : new HashSet<>(after.addresses());
        if (before != null) {
            for (String address : before.addresses()) {
                if (!kept.contains(address)) update(ops, pending, address, users -> users.remove(user));
            }
        }
        for (String address : kept) {
            update(ops, pending, address, users -> {
                if (!users.add(user)) return false;
                if (users.size() > 1) {
                    log.warn("accounts: address {} is listed by the accounts of {}; {} receives its mail (change the others "
                            + "with `cairn user` on the master)", address, String.join(", ", users), users.first());
                }
                return true;
            });
        }
    }

    private void update(WriteOps ops, Map<String, TreeSet<String>> pending, String address,
                        java.util.function.Predicate<TreeSet<String>> change) {
        TreeSet<String> users = pending.get(address);
        if (users == null) users = claimants(slot.get(slot.meta, ownerKey(address)));
        if (!change.test(users)) return;
        pending.put(address, users);
        if (users.isEmpty()) ops.delete(slot.meta, ownerKey(address));
        else ops.put(slot.meta, ownerKey(address), encode(users));
    }

    /** After a user's records were replaced by an image: its account's addresses indexed again. */
    void reindex(WriteOps ops, String user, int id, Account before, List<dev.cairn.store.replication.UserImage.Entry> meta) {
        Account after = null;
        byte[] key = new byte[]{ACCOUNT};
        for (var e : meta) {
            if (e.family() == 0 && java.util.Arrays.equals(e.key(), key)) after = ChangeCodec.decodeAccount(e.value());
        }
        write(ops, new java.util.HashMap<>(), user, id, before, after);
    }

    Optional<Account> find(String user) { return Optional.ofNullable(account(user)); }
}
