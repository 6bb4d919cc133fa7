// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreEngine;
import dev.cairn.store.routing.Placement;
import dev.cairn.store.routing.SlotRouter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A node's slots ({@code [store] slots}), opened by one engine so that they share its RocksDB cache
 * and memtables, and the one {@link SlotStore} the protocols take: the slot itself on a node of one
 * slot (exactly as before slots), a {@link SlotRouter} over them all on a node of several. Each
 * slot's meters carry a {@code slot} label on a node of several (on a node of one they keep the
 * names and labels they always had).
 */
public final class NodeSlots {
    private static final Logger log = LoggerFactory.getLogger(NodeSlots.class);

    private final Map<String, SlotStore> slots;
    private final Map<SlotStore, String> names = new IdentityHashMap<>();
    /** Per slot name, the replicated store it is a slot of ([replication]); absent: none. */
    private final Map<String, String> stores;
    private final SlotStore store;

    private NodeSlots(Map<String, SlotStore> slots, Map<String, String> stores, Placement placement) {
        this.slots = slots;
        this.stores = stores;
        slots.forEach((name, slot) -> names.put(slot, name));
        this.store = slots.size() == 1 ? slots.values().iterator().next() : new SlotRouter(slots, stores, placement);
    }

    /** Opens every slot of the config (closing those it opened when one cannot be). */
    public static NodeSlots open(NodeConfig config, StoreEngine engine, QuotaPolicy quota, MeterRegistry meters, Placement placement) {
        Map<String, SlotStore> slots = new LinkedHashMap<>();
        boolean several = config.store().slots().size() > 1;
        try {
            for (String name : config.store().slots()) {
                slots.put(name, engine.open(Node.slotConfig(config, name, quota, several ? labelled(meters, name) : meters)));
                log.info("store: slot {} open, metadata {} bodies {}", name, config.metadataDir(name), config.bodiesDir(name));
            }
        } catch (RuntimeException e) {
            for (SlotStore s : slots.values()) {
                try {
                    s.close();
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
        return new NodeSlots(slots, storesOf(config), placement);
    }

    /** The slots' meters in the node's registry, each with {@code slot="NAME"}. */
    private static MeterRegistry labelled(MeterRegistry node, String slot) {
        CompositeMeterRegistry r = new CompositeMeterRegistry();
        r.config().commonTags("slot", slot);
        r.add(node);
        return r;
    }

    private static Map<String, String> storesOf(NodeConfig config) {
        Map<String, String> stores = new LinkedHashMap<>();
        if (config.replication() == null) return stores;
        String node = config.replication().config().node();
        for (var spec : config.replication().config().stores()) {
            for (var ref : spec.slots()) if (ref.node().equals(node)) stores.put(ref.slot(), spec.name());
        }
        return stores;
    }

    /** What the protocols take: the one slot, or the router over several. */
    public SlotStore store() { return store; }

    /** The slots by name, in the config's order (what replication takes). */
    public Map<String, SlotStore> byName() { return java.util.Collections.unmodifiableMap(slots); }

    /** The name of one of these slots. */
    public String nameOf(SlotStore slot) {
        String name = names.get(slot);
        if (name == null) throw new IllegalArgumentException("not a slot of this node");
        return name;
    }

    /** The replicated store the slot is a slot of, or null. */
    public String storeOf(String slot) { return stores.get(slot); }

    /** A cluster node: a store's slot here is the one the cluster's map gives it now ({@link SlotRouter#followStores}). */
    void followStores(java.util.function.Function<String, String> slotOfStore) {
        if (store instanceof SlotRouter router) router.followStores(slotOfStore);
    }

    /** Puts a user no slot holds yet in the named slot (`cairn user add --store`); see {@link SlotRouter#place}. */
    void place(String user, String slot) {
        SlotStore s = slots.get(slot);
        if (s == null) throw new IllegalArgumentException("no slot " + slot + " on this node");
        if (store instanceof SlotRouter router) router.place(user, s);
    }

    /** The first slot's fence when every slot is fenced (no user can be served here), else null. */
    public String everySlotFenced() {
        String first = null;
        for (SlotStore s : slots.values()) {
            String fence = s.replication().fenceReason();
            if (fence == null) return null;
            if (first == null) first = fence;
        }
        return first;
    }

    /** Whether some slot takes writes (a master, or a slot in no store). */
    public boolean anyUnfenced() { return everySlotFenced() == null; }

    public int size() { return slots.size(); }

    /**
     * On a node whose slot is a replica (or a fenced former master), a correct login gets a
     * temporary failure: IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP]; the client goes to the master
     * (or will, through the proxy). Credentials are checked first, so the answer leaks nothing. The
     * fence asked is the user's own slot's: a node may master one user's store and replicate another's.
     */
    Authenticator replicaAware(Authenticator auth) {
        return new Authenticator() {
            @Override public AuthResult authenticate(String authcid, String password, String authzid, java.net.InetAddress remote,
                                                     boolean secure) {
                return unlessFenced(auth.authenticate(authcid, password, authzid, remote, secure));
            }

            /** A front-end's login for a user (issue 21) is served here only where the user's slot is the master. */
            @Override public AuthResult proxied(String user) {
                return unlessFenced(auth.proxied(user));
            }
        };
    }

    private AuthResult unlessFenced(AuthResult r) {
        if (!(r instanceof AuthResult.Success ok)) return r;
        String fence = fenceOf(ok.user());
        return fence == null ? r : new AuthResult.Failure(AuthResult.Reason.TEMPORARY_FAILURE, fence);
    }

    /** Why the user's slot here serves no logins (a replica, a fenced former master), or null: the user is served here. */
    String fenceOf(String user) {
        return store.slotOf(user).replication().fenceReason();
    }

    /** The store of the user's slot here (the slot's name when it is in no replicated store). */
    String storeOfUser(String user) {
        String slot = nameOf(store.slotOf(user));
        String replicated = storeOf(slot);
        return replicated != null ? replicated : slot;
    }

    /**
     * The user's store, for the cluster's locator: the directory's placement; else (a user the table
     * has no row for) the store of the slot here that holds the user (its mail or its account) by the
     * cluster's map ({@code storeOfSlot}): a node knows its own slots' users; else, with the
     * cluster's shared directory, the user is placed now where this node's rule puts a new user
     * (its first slot that takes writes), as its first delivery or login here always put it, so that
     * every front-end finds it there from now on.
     */
    dev.cairn.store.routing.Placement placement(dev.cairn.directory.Placement directory, boolean shared,
                                                 Function<String, String> storeOfSlot) {
        return user -> directory.storeOf(user)
                .or(() -> heldHere(user, storeOfSlot))
                .or(() -> shared ? placeOnFirstContact(directory, user, storeOfSlot) : java.util.Optional.empty());
    }

    private java.util.Optional<String> heldHere(String user, Function<String, String> storeOfSlot) {
        for (Map.Entry<String, SlotStore> e : slots.entrySet()) {
            SlotStore s = e.getValue();
            // its mail, or only its account (a user just added through the store's master has no mail yet)
            if (!s.hasUser(user) && s.account(user).isEmpty()) continue;
            String store = storeOfSlot.apply(e.getKey());
            if (store != null) return java.util.Optional.of(store);
        }
        return java.util.Optional.empty();
    }

    private java.util.Optional<String> placeOnFirstContact(dev.cairn.directory.Placement directory, String user,
                                                           Function<String, String> storeOfSlot) {
        for (Map.Entry<String, SlotStore> e : slots.entrySet()) {
            if (e.getValue().replication().fenceReason() != null) continue;
            String store = storeOfSlot.apply(e.getKey());
            if (store == null) continue;
            try {
                if (directory.place(user, java.util.Optional.empty(), store)) {
                    log.info("directory: user {} had no store: placed on {} (this node's first slot that takes writes)", user, store);
                    return java.util.Optional.of(store);
                }
                return directory.storeOf(user); // another node placed it first
            } catch (dev.cairn.directory.DirectoryException refused) {
                return java.util.Optional.empty(); // no such user (any more), or the directory is down: nowhere now
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A fence is never forgotten: a slot that is a replica of a store, or a former master another
     * node took over, does not start as a node of its own because [replication] was left out (it
     * would take writes beside the store's master). The operator rejoins or takes it over.
     */
    void refuseFencedSlots() {
        slots.forEach((slot, store) -> {
            var r = store.replication();
            if (r.role() != dev.cairn.store.replication.Role.REPLICA) return;
            String name = r.roleStore() == null ? "STORE" : r.roleStore();
            throw new IllegalStateException(dev.cairn.replication.Replication.fencedSlot(slots.size() == 1 ? "this slot" : "slot " + slot,
                    r.roleStore(), r.epoch())
                    + " and the config has no [replication]: restore the section to rejoin the store (it catches up from its master),"
                    + " or take the slot over as a node of its own with `cairn store takeover " + name + "` (it then lacks what the"
                    + " store's master acknowledged since it was fenced)");
        });
    }
}
