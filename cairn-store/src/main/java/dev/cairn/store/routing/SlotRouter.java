// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.routing;

import dev.cairn.store.Account;
import dev.cairn.store.CheckReport;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.replication.SlotReplication;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A node's slots as one {@link SlotStore} for the protocols: every per-user operation goes to the
 * slot that holds the user (FastMail's "slots and stores": a node holds many slots, each the master
 * or a replica of its own store). The rule:
 * <ol>
 *   <li>a user that {@link Placement} places on a store (the cluster's directory) is the slot's
 *       of that store on this node when that slot holds it; a user placed on a store of which this
 *       node has no slot, or whose slot here does not hold it yet, is treated as a new user (rule
 *       2): after an online user move the old copy, still in another slot until it is removed, is
 *       never written again;</li>
 *   <li>a user that no placement names and a slot holds (its mail or its account) is that slot's;
 *       either way the slot is remembered in a map after the first lookup, so a session's
 *       operations cost one map lookup, not a scan ({@link #moved} forgets it);</li>
 *   <li>a user that no slot holds (rule 1 aside) goes to the store {@link Placement} names, when this node has a
 *       slot of it (else UNAVAILABLE: the user lives elsewhere); without a placement, to the
 *       node's first slot (in the config's order) that takes writes, and when every slot is fenced,
 *       to the first, which refuses with its fence.</li>
 * </ol>
 * Address lookups ({@link #accountOf}) and {@link #users()} span every slot. What belongs to one
 * slot (its change log, its replication side, its channels) is asked of that slot
 * ({@link #slotOf}); the router refuses those. Fences are per slot: {@link #onFenced} tells the
 * listener which slot was fenced through {@link #slotOf}, so only that slot's users' sessions end.
 */
public final class SlotRouter implements SlotStore {
    private final Map<String, SlotStore> slots;
    private final Map<String, SlotStore> byStore;
    private final Placement placement;
    /** A cluster node's stores come from the cluster's map: the slot a store has here now, or null ({@link #followStores}). */
    private volatile Function<String, String> slotOfStore = store -> null;
    /** Told when a user moved away ({@link #moved}), beside each slot's fence listeners. */
    private final List<FenceListener> moveListeners = new CopyOnWriteArrayList<>();
    /** The slot of each user seen so far; a user leaves it when deleted through the router (or by {@link #forget}). */
    private final Map<String, SlotStore> home = new ConcurrentHashMap<>();

    /**
     * @param slots   the node's slots by name, in the config's order (the first is the default for new users)
     * @param stores  per slot name, the store it is a slot of (a slot in no replicated store: absent)
     */
    public SlotRouter(Map<String, SlotStore> slots, Map<String, String> stores, Placement placement) {
        if (slots.isEmpty()) throw new IllegalArgumentException("a node has at least one slot");
        this.slots = new LinkedHashMap<>(slots);
        this.placement = placement;
        Map<String, SlotStore> byStore = new LinkedHashMap<>();
        slots.forEach((name, slot) -> byStore.put(stores.getOrDefault(name, name), slot));
        this.byStore = Map.copyOf(byStore);
    }

    /** The slots by name, in the config's order. */
    public Map<String, SlotStore> slots() { return java.util.Collections.unmodifiableMap(slots); }

    /** The slot holding the user, or null: mail or an account in it (and placed there, when placed). */
    private SlotStore holder(String user) {
        SlotStore s = home.get(user);
        if (s != null) return s;
        Optional<String> placedOn = placementOf(user);
        if (placedOn.isPresent()) {
            SlotStore slot = slotOfStore(placedOn.get());
            if (slot == null || !slot.hasUser(user)) return null;
            home.put(user, slot);
            return slot;
        }
        for (SlotStore slot : slots.values()) {
            if (slot.hasUser(user)) {
                home.put(user, slot);
                return slot;
            }
        }
        return null;
    }

    /**
     * On a node of a cluster, where the stores of its slots come from the cluster's map rather than
     * the config: {@code slotOfStore} says which slot holds a store now (null: none here). Asked
     * before the config's stores.
     */
    public void followStores(Function<String, String> slotOfStore) { this.slotOfStore = slotOfStore; }

    private Optional<String> placementOf(String user) {
        try {
            return placement.storeOf(user);
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) { // the directory's failure (its own exception type): a temporary one here
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "where user " + user + " lives is unknown now: " + e.getMessage());
        }
    }

    /** This node's slot of the store: by the cluster's map, else by the config's stores (a slot's own name without one). */
    private SlotStore slotOfStore(String store) {
        String slot = slotOfStore.apply(store);
        return slot != null && slots.containsKey(slot) ? slots.get(slot) : byStore.get(store);
    }

    /** Where a user no slot holds goes (see the class comment). */
    private SlotStore placed(String user) {
        Optional<String> store = placementOf(user);
        if (store.isPresent()) {
            SlotStore s = slotOfStore(store.get());
            if (s == null) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, "user " + user + " belongs in store " + store.get()
                        + ", which has no slot on this node");
            }
            return s;
        }
        for (SlotStore s : slots.values()) if (s.replication().fenceReason() == null) return s;
        return slots.values().iterator().next();
    }

    @Override public SlotStore slotOf(String user) {
        SlotStore s = holder(user);
        // A fenced slot (a replica here) that no longer holds the user: a moved user's old copy was
        // removed, and this node may have missed being told (moved): look again. Only fenced
        // slots are asked, so a session's lookups on its writable slot stay one map lookup.
        if (s != null && s.replication().fenceReason() != null && !s.hasUser(user)) {
            home.remove(user, s);
            s = holder(user);
        }
        return s != null ? s : placed(user);
    }

    /**
     * Puts a user that no slot holds yet in {@code slot} (an operator chose its store: `cairn user
     * add --store`); what it creates next goes there. Refused when another slot holds the user.
     */
    public void place(String user, SlotStore slot) {
        if (!slots.containsValue(slot)) throw new IllegalArgumentException("not a slot of this node");
        SlotStore held = holder(user);
        if (held != null && held != slot) throw new StoreException(StoreException.Reason.ALREADY_EXISTS, "user " + user + " is in another slot here");
        home.put(user, slot);
    }

    /** Forgets where the user was seen (after it moved to another slot). */
    public void forget(String user) { home.remove(user); }

    /**
     * The user moved to another store (an online move flipped its placement): where it was seen is
     * forgotten, and the fence listeners are told, so that the protocol servers end the user's
     * sessions (each asks {@link #slotOf} again, which now names the new store's slot, fenced on a
     * node that does not master it, or refuses UNAVAILABLE on a node without a slot of it).
     */
    public void moved(String user, String reason) {
        home.remove(user);
        for (FenceListener l : moveListeners) {
            try {
                l.fenced(reason);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SlotRouter.class).warn("fence listener failed on the move of {}", user, e);
            }
        }
    }

    @Override public SlotConfig config() { return slots.values().iterator().next().config(); }

    @Override public UserStore user(String user) {
        SlotStore s = holder(user);
        if (s != null) {
            try {
                return s.user(user);
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.NO_SUCH_USER) throw e;
                home.remove(user, s); // gone from that slot (deleted through replication): look again
                s = holder(user);
                if (s != null) return s.user(user);
            }
        }
        return slots.values().iterator().next().user(user); // NO_SUCH_USER, as a slot says it
    }

    @Override public UserStore openOrCreateUser(String user) {
        SlotStore s = holder(user);
        if (s != null && !s.hasUser(user)) {
            home.remove(user, s);
            s = holder(user);
        }
        SlotStore target = s != null ? s : placed(user);
        UserStore u = target.openOrCreateUser(user);
        home.put(user, target);
        return u;
    }

    @Override public boolean hasUser(String user) { return holder(user) != null; }

    @Override public List<String> users() {
        TreeSet<String> all = new TreeSet<>();
        for (SlotStore s : slots.values()) all.addAll(s.users());
        return List.copyOf(all);
    }

    @Override public void deleteUser(String user) {
        SlotStore s = holder(user);
        (s != null ? s : slots.values().iterator().next()).deleteUser(user);
        home.remove(user);
    }

    @Override public Optional<Account> account(String user) {
        SlotStore s = holder(user);
        return s == null ? Optional.empty() : s.account(user);
    }

    /** One point lookup per slot (a RCPT, a login by address): not per command. */
    @Override public Optional<String> accountOf(String address) {
        for (SlotStore s : slots.values()) {
            Optional<String> user = s.accountOf(address);
            if (user.isPresent()) return user;
        }
        return Optional.empty();
    }

    /** In the user's slot; an address another slot's account holds is refused as a slot refuses its own (ALREADY_EXISTS). */
    @Override public void setAccount(String user, Account account) {
        SlotStore s = holder(user);
        SlotStore target = s != null ? s : placed(user);
        List<String> addresses = Stream.concat(account.primaryAddress().stream(), account.aliases().stream()).toList();
        for (SlotStore other : slots.values()) {
            if (other == target) continue;
            for (String a : addresses) {
                Optional<String> holder = other.accountOf(a);
                if (holder.isPresent() && !holder.get().equals(user)) {
                    throw new StoreException(StoreException.Reason.ALREADY_EXISTS, "address " + a + " belongs to " + holder.get());
                }
            }
        }
        target.setAccount(user, account);
        home.put(user, target);
    }

    @Override public boolean removeAccount(String user) {
        SlotStore s = holder(user);
        return s != null && s.removeAccount(user);
    }

    @Override public CheckReport check(String userOrNull, boolean repair) {
        if (userOrNull != null) {
            SlotStore s = holder(userOrNull);
            return (s != null ? s : slots.values().iterator().next()).check(userOrNull, repair);
        }
        int users = 0;
        long messages = 0;
        List<CheckReport.Problem> problems = new ArrayList<>();
        for (SlotStore s : slots.values()) {
            CheckReport r = s.check(null, repair);
            users += r.usersChecked();
            messages += r.messagesChecked();
            problems.addAll(r.problems());
        }
        return new CheckReport(users, messages, problems);
    }

    @Override public ChangeLog changeLog() { throw perSlot("change log"); }

    @Override public SlotReplication replication() { throw perSlot("replication side"); }

    @Override public int channels() { throw perSlot("channels"); }

    @Override public int channelOf(String user) { throw perSlot("channels"); }

    private static UnsupportedOperationException perSlot(String what) {
        return new UnsupportedOperationException("each slot has its own " + what + ": ask slotOf(user)");
    }

    /** The listener hears each slot's fence; {@code slotOf(user).replication().fenceReason()} says whose users it concerns. */
    @Override public Runnable onFenced(FenceListener listener) {
        List<Runnable> removes = new ArrayList<>();
        for (SlotStore s : slots.values()) removes.add(s.onFenced(listener));
        moveListeners.add(listener);
        removes.add(() -> moveListeners.remove(listener));
        return () -> removes.forEach(Runnable::run);
    }

    /** Closes every slot (after replication, which uses them, has stopped). */
    @Override public void close() {
        RuntimeException failure = null;
        for (SlotStore s : slots.values()) {
            try {
                s.close();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }
}
