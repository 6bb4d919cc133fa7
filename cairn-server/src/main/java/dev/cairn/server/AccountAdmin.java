// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.AddressEntry;
import dev.cairn.directory.DirectoryException;
import dev.cairn.directory.LocalDomains;
import dev.cairn.directory.QuotaLimits;
import dev.cairn.directory.StoreDirectory;
import dev.cairn.directory.User;
import dev.cairn.replication.Replication;
import dev.cairn.server.cli.UserCommand;
import dev.cairn.store.SlotStore;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The accounts of a node that serves a replicated store, for `cairn user` (same bearer token as
 * /check). Reads answer on a master and a replica alike (the slot holds the accounts on both);
 * changes are made on the store's master, and a replica refuses them with one line that names the
 * master. Passwords arrive hashed (the command hashes them), in the query like every other
 * parameter. The answers are the command's output.
 * <ul>
 *   <li>{@code GET /accounts/list}, {@code GET /accounts/show?user=U}, {@code GET /accounts/aliases[?user=U]}</li>
 *   <li>{@code POST /accounts/add} (user, hash, address, quota_storage, quota_messages, group, store: a store this node
 *       masters, where the new user goes),
 *       {@code /accounts/passwd} (user, hash), {@code /accounts/set} (user, quota_storage, quota_messages,
 *       group, address, disabled), {@code /accounts/delete} (user, keep_mail),
 *       {@code /accounts/alias-add} (address, user), {@code /accounts/alias-remove} (address)</li>
 * </ul>
 */
final class AccountAdmin {
    private AccountAdmin() {}

    /**
     * @param node this node's name ([replication] node); a change is refused when the user's slot
     *             ({@link SlotStore#slotOf}: the one holding it, or where a new user goes) is fenced
     */
    static void register(AdminServer admin, String token, StoreDirectory directory, NodeSlots slots, Replication replication,
                         String node, LocalDomains local) {
        java.util.function.Consumer<String> master = user -> {
            SlotStore slot = slots.store().slotOf(user);
            if (slot.replication().fenceReason() == null) return;
            String name = slots.nameOf(slot);
            String self = node + "/" + name;
            Replication.StoreStatus s = replication.status().stream().filter(st -> st.store().equals(slots.storeOf(name))).findFirst()
                    .orElse(null);
            if (s == null) throw new IllegalStateException("this node (" + self + ") holds a replica: accounts change on the store's master");
            throw new IllegalStateException("this node (" + self + ") holds a replica of store " + s.store() + ": accounts change on its master "
                    + s.master() + " (run `cairn user` with the --config of " + s.master() + ")");
        };
        ReplicationAdmin.context(admin, token, "/accounts/list", "GET", q -> {
            StringBuilder b = new StringBuilder();
            List<User> users = directory.users();
            for (User u : users) b.append(UserCommand.describe(u)).append('\n');
            return b.append(users.size() == 1 ? "1 user" : users.size() + " users").append('\n').toString();
        });
        ReplicationAdmin.context(admin, token, "/accounts/show", "GET", q -> {
            User u = user(directory, ReplicationAdmin.required(q, "user"));
            StringBuilder b = new StringBuilder(UserCommand.describe(u)).append('\n');
            b.append("created ").append(DateTimeFormatter.ISO_INSTANT.format(u.created().atOffset(ZoneOffset.UTC))).append('\n');
            for (AddressEntry a : directory.addresses(Optional.of(u.name()))) {
                b.append(a.primary() ? "address " : "alias   ").append(a.address()).append('\n');
            }
            return b.append(receives(directory, u, local)).toString();
        });
        ReplicationAdmin.context(admin, token, "/accounts/aliases", "GET", q -> {
            StringBuilder b = new StringBuilder();
            for (AddressEntry a : directory.addresses(Optional.ofNullable(q.get("user")).filter(s -> !s.isEmpty()))) {
                b.append(a.address()).append(" -> ").append(a.user()).append(a.primary() ? " (primary)" : "").append('\n');
            }
            return b.toString();
        });
        ReplicationAdmin.context(admin, token, "/accounts/add", "POST", q -> {
            String store = blankToNull(q.get("store"));
            if (store != null) placeIn(slots, replication, canonical(ReplicationAdmin.required(q, "user")), store);
            master.accept(canonical(ReplicationAdmin.required(q, "user")));
            User u = directory.addUser(ReplicationAdmin.required(q, "user"), blankToNull(q.get("hash")),
                    new QuotaLimits(limit(q, "quota_storage", QuotaLimits.NONE), limit(q, "quota_messages", QuotaLimits.NONE)),
                    Optional.ofNullable(blankToNull(q.get("group"))), Optional.ofNullable(blankToNull(q.get("address"))));
            return "added " + UserCommand.describe(u) + "\n" + receives(directory, u, local);
        });
        ReplicationAdmin.context(admin, token, "/accounts/passwd", "POST", q -> {
            User u = user(directory, ReplicationAdmin.required(q, "user"));
            master.accept(u.name());
            directory.setPasswordHash(u.name(), ReplicationAdmin.required(q, "hash"));
            return "password of " + u.name() + " changed\n";
        });
        ReplicationAdmin.context(admin, token, "/accounts/set", "POST", q -> {
            User u = user(directory, ReplicationAdmin.required(q, "user"));
            master.accept(u.name());
            if (q.containsKey("quota_storage") || q.containsKey("quota_messages")) {
                directory.setQuota(u.name(), new QuotaLimits(limit(q, "quota_storage", u.quota().storageBytes()),
                        limit(q, "quota_messages", u.quota().messages())));
            }
            if (q.containsKey("group")) {
                String g = q.get("group");
                directory.setGroup(u.name(), g.isEmpty() || g.equalsIgnoreCase("none") ? Optional.empty() : Optional.of(g));
            }
            if (q.containsKey("address")) directory.setPrimaryAddress(u.name(), q.get("address"));
            if (q.containsKey("disabled")) directory.setDisabled(u.name(), Boolean.parseBoolean(q.get("disabled")));
            return UserCommand.describe(directory.user(u.name()).orElseThrow()) + "\n";
        });
        ReplicationAdmin.context(admin, token, "/accounts/delete", "POST", q -> {
            String name = ReplicationAdmin.required(q, "user");
            master.accept(canonical(name));
            boolean keepMail = Boolean.parseBoolean(q.get("keep_mail"));
            boolean deleted = keepMail ? directory.deleteUser(name) : directory.deleteUserAndMail(name);
            if (!deleted) throw new IllegalArgumentException("no user " + name);
            return "deleted " + name + (keepMail ? " (its mail is kept)" : " and its mail") + " from store and directory\n";
        });
        ReplicationAdmin.context(admin, token, "/accounts/alias-add", "POST", q -> {
            String address = ReplicationAdmin.required(q, "address");
            User u = user(directory, ReplicationAdmin.required(q, "user"));
            master.accept(u.name());
            directory.addAlias(address, u.name());
            return "alias " + address + " -> " + u.name() + "\n";
        });
        ReplicationAdmin.context(admin, token, "/accounts/alias-remove", "POST", q -> {
            String address = ReplicationAdmin.required(q, "address");
            holderOf(slots.store(), address).ifPresent(master);
            if (!directory.removeAddress(address)) throw new IllegalArgumentException("no address " + address);
            return "removed " + address + "\n";
        });
    }

    /** A new user goes to {@code store}, which this node must master (its slot there). */
    private static void placeIn(NodeSlots slots, Replication replication, String user, String store) {
        Replication.StoreStatus s = replication.status().stream().filter(st -> st.store().equals(store)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("store " + store + " has no slot on this node"));
        if (!s.role().equals("master")) {
            throw new IllegalStateException("store " + store + " is mastered by " + s.master() + ": add the user with the --config of "
                    + s.master());
        }
        slots.place(user, s.master().substring(s.master().indexOf('/') + 1));
    }

    /** A user of the store's accounts (the node's own directory's are not changed here). */
    private static User user(StoreDirectory directory, String name) {
        return directory.storeUser(name).orElseThrow(() -> new DirectoryException(DirectoryException.Reason.NO_SUCH_USER,
                "no user " + name + " in the store" + (directory.local().user(name).isPresent()
                        ? " (only in this node's own directory: it is copied into the store when the node starts as master)" : "")));
    }

    private static String receives(StoreDirectory directory, User u, LocalDomains local) {
        List<String> as = UserCommand.receivesAs(directory, u, local);
        return as.isEmpty() ? "warning: " + u.name() + " cannot receive mail: it has no address, and its name is no address here\n"
                : "receives mail as: " + String.join(", ", as) + "\n";
    }

    /** The canonical name, or the name as given when it is none (the directory then refuses it in its words). */
    private static String canonical(String name) {
        try {
            return dev.cairn.directory.UserNames.canonical(name);
        } catch (RuntimeException e) {
            return name;
        }
    }

    /** The user whose account in the node's slots lists the address. */
    private static Optional<String> holderOf(SlotStore store, String address) {
        try {
            return store.accountOf(dev.cairn.directory.Addresses.canonical(address));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String blankToNull(String s) { return s == null || s.isEmpty() ? null : s; }

    private static long limit(Map<String, String> q, String key, long otherwise) {
        String v = q.get(key);
        if (v == null) return otherwise;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + " is not a number");
        }
    }
}
