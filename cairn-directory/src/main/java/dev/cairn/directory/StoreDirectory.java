// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import dev.cairn.store.Account;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory of a node that serves a replicated store: the accounts the store's slot holds
 * ({@link Account}, replicated with the users' mail), then the node's own SQLite directory for
 * users the slot has no account of. <b>Where both know a user, the slot wins</b> for everything:
 * a login by name, an address (an address the slot indexes is the slot's, whoever the SQLite
 * file gives it to), the quota. The slot answers on a master and on a replica alike, so a replica
 * promoted to master serves every account of the store at once.
 *
 * <p>Changes write the slot through the store's ordinary commit path ({@link SlotStore#setAccount}),
 * so they happen on the store's master only: on a replica the slot refuses them (UNAVAILABLE).
 * Removing an account also removes the user from this node's SQLite file, so the older copy there
 * does not answer again. Passwords arrive hashed ({@link #addUser(String, String, QuotaLimits,
 * Optional, Optional)}): the `cairn user` command hashes them before they leave it.
 */
public final class StoreDirectory implements Directory {
    private static final Logger log = LoggerFactory.getLogger(StoreDirectory.class);

    private final SqliteDirectory local;
    private final SlotStore slot;
    private final StoreAccountSource store;
    private final Lookups lookups;

    public StoreDirectory(SqliteDirectory local, SlotStore slot) {
        this.local = local;
        this.slot = slot;
        this.store = new StoreAccountSource(slot);
        this.lookups = new Lookups(AccountSource.firstThen(store, local.accountSource()), local.defaultDomain(), local.hasher(),
                VerifiedPasswords.standard());
    }

    /** The node's own directory (users the store has no account of). */
    public SqliteDirectory local() { return local; }

    // --- reads -----------------------------------------------------------------------------------

    private static User user(String name, Account a) {
        return new User(name, a.primaryAddress(), new QuotaLimits(a.storageLimit(), a.messageLimit()), a.group(), a.created(),
                a.disabled(), a.passwordHash() != null);
    }

    private Optional<Account> account(String name) {
        return UserNames.isValid(name) ? store.account(UserNames.normalize(name)) : Optional.empty();
    }

    /** The user's account in the slot, if it has one (not the node's own directory). */
    public Optional<User> storeUser(String name) {
        return account(name).map(a -> user(UserNames.normalize(name), a));
    }

    @Override public Optional<User> user(String name) {
        Optional<User> inStore = storeUser(name);
        return inStore.isPresent() ? inStore : local.user(name);
    }

    @Override public List<User> users() {
        TreeMap<String, User> all = new TreeMap<>();
        for (User u : local.users()) all.put(u.name(), u);
        for (String name : storeUsers()) store.account(name).ifPresent(a -> all.put(name, user(name, a)));
        return List.copyOf(all.values());
    }

    private List<String> storeUsers() {
        try {
            return slot.users();
        } catch (StoreException e) {
            throw new DirectoryException(Reason.UNAVAILABLE, "the store's accounts cannot be read: " + e.getMessage(), e);
        }
    }

    @Override public List<AddressEntry> addresses(Optional<String> user) {
        List<AddressEntry> out = new ArrayList<>();
        if (user.isPresent()) {
            Optional<Account> a = account(user.get());
            if (a.isEmpty()) return local.addresses(user);
            entries(UserNames.normalize(user.get()), a.get(), out);
            return out;
        }
        for (AddressEntry e : local.addresses(Optional.empty())) {
            if (store.account(e.user()).isEmpty()) out.add(e);
        }
        for (String name : storeUsers()) store.account(name).ifPresent(a -> entries(name, a, out));
        out.sort(Comparator.comparing(AddressEntry::user).thenComparing(e -> !e.primary()).thenComparing(AddressEntry::address));
        return out;
    }

    private static void entries(String name, Account a, List<AddressEntry> out) {
        a.primaryAddress().ifPresent(p -> out.add(new AddressEntry(p, name, true)));
        for (String alias : a.aliases()) out.add(new AddressEntry(alias, name, false));
    }

    @Override public Login login(String login, char[] password) { return lookups.login(login, password); }

    @Override public Resolution resolve(String address, LocalDomains local) { return lookups.resolve(address, local); }

    @Override public QuotaLimits quota(String user) {
        Optional<Account> a = account(user);
        return a.isPresent() ? new QuotaLimits(a.get().storageLimit(), a.get().messageLimit()) : local.quota(user);
    }

    // --- changes: on the store's master ------------------------------------------------------------

    /** Adds a user with its password already hashed (null: it cannot log in); USER_EXISTS when the store has its account. */
    public User addUser(String name, String passwordHash, QuotaLimits quota, Optional<String> group, Optional<String> primaryAddress) {
        String canonical = UserNames.canonical(name);
        Optional<String> g = group.map(SqlUsers::checkGroup);
        Optional<String> primary = primaryAddress.map(Addresses::canonical)
                .or(() -> SqlUsers.derivedAddress(canonical, local.defaultDomain()));
        checkHash(passwordHash);
        if (store.account(canonical).isPresent()) throw new DirectoryException(Reason.USER_EXISTS, "user " + canonical + " exists");
        Account a = new Account(passwordHash, primary, List.of(), quota.storageBytes(), quota.messages(), g, Instant.now(), false);
        write(canonical, a);
        log.info("directory: added user {} to the store{}", canonical, primary.map(p -> " <" + p + ">").orElse(""));
        return user(canonical, a);
    }

    @Override public User addUser(NewUser spec) {
        return addUser(spec.name(), spec.password() == null ? null : local.hasher().hash(spec.password()), spec.quota(),
                spec.group(), spec.primaryAddress());
    }

    /** Replaces the password hash; null removes it (the account can no longer log in). */
    public void setPasswordHash(String name, String passwordHash) {
        checkHash(passwordHash);
        change(name, a -> a.withPasswordHash(passwordHash));
        log.info("directory: {} password of user {} in the store", passwordHash == null ? "removed" : "changed", UserNames.normalize(name));
    }

    @Override public void setPassword(String name, char[] password) {
        setPasswordHash(name, password == null ? null : local.hasher().hash(password));
    }

    @Override public void setQuota(String name, QuotaLimits q) {
        change(name, a -> new Account(a.passwordHash(), a.primaryAddress(), a.aliases(), q.storageBytes(), q.messages(), a.group(),
                a.created(), a.disabled()));
    }

    @Override public void setGroup(String name, Optional<String> group) {
        Optional<String> g = group.map(SqlUsers::checkGroup);
        change(name, a -> new Account(a.passwordHash(), a.primaryAddress(), a.aliases(), a.storageLimit(), a.messageLimit(), g,
                a.created(), a.disabled()));
    }

    @Override public void setDisabled(String name, boolean disabled) {
        change(name, a -> new Account(a.passwordHash(), a.primaryAddress(), a.aliases(), a.storageLimit(), a.messageLimit(), a.group(),
                a.created(), disabled));
        log.info("directory: user {} {} in the store", UserNames.normalize(name), disabled ? "disabled" : "enabled");
    }

    /** The old primary address stays as an alias, as in the SQLite directory. */
    @Override public void setPrimaryAddress(String name, String address) {
        String addr = Addresses.canonical(address);
        change(name, a -> {
            List<String> aliases = new ArrayList<>(a.aliases());
            a.primaryAddress().ifPresent(aliases::add);
            return new Account(a.passwordHash(), Optional.of(addr), aliases, a.storageLimit(), a.messageLimit(), a.group(),
                    a.created(), a.disabled());
        });
    }

    @Override public void addAlias(String address, String user) {
        String addr = Addresses.canonical(address);
        change(user, a -> {
            if (a.addresses().contains(addr)) throw new DirectoryException(Reason.ADDRESS_TAKEN, "address " + addr + " belongs to user " + UserNames.normalize(user));
            List<String> aliases = new ArrayList<>(a.aliases());
            aliases.add(addr);
            return new Account(a.passwordHash(), a.primaryAddress(), aliases, a.storageLimit(), a.messageLimit(), a.group(),
                    a.created(), a.disabled());
        });
        log.info("directory: alias {} -> {} in the store", addr, UserNames.normalize(user));
    }

    @Override public boolean removeAddress(String address) {
        Optional<Addresses.Parsed> parsed = Addresses.parse(address);
        if (parsed.isEmpty()) return false;
        String addr = parsed.get().address();
        Optional<String> owner = store.owner(addr);
        if (owner.isEmpty()) return local.removeAddress(address);
        change(owner.get(), a -> {
            List<String> aliases = new ArrayList<>(a.aliases());
            aliases.remove(addr);
            return new Account(a.passwordHash(), a.primaryAddress().filter(p -> !p.equals(addr)), aliases, a.storageLimit(),
                    a.messageLimit(), a.group(), a.created(), a.disabled());
        });
        return true;
    }

    /** Removes the account from the store (the mail stays: see {@link #deleteUserAndMail}) and from this node's directory. */
    @Override public boolean deleteUser(String name) {
        if (!UserNames.isValid(name)) return false;
        String canonical = UserNames.normalize(name);
        boolean inStore = storeWrite(() -> slot.removeAccount(canonical));
        return local.deleteUser(canonical) | inStore;
    }

    /** Removes the user from the store with its mail (one replicated commit), and from this node's directory. */
    public boolean deleteUserAndMail(String name) {
        if (!UserNames.isValid(name)) return false;
        String canonical = UserNames.normalize(name);
        boolean inStore = storeWrite(() -> {
            if (!slot.hasUser(canonical)) return false;
            slot.deleteUser(canonical);
            return true;
        });
        return local.deleteUser(canonical) | inStore;
    }

    /**
     * Copies into the store the accounts of this node's own directory whose users have mail in
     * the slot and no account there (a node that served them before its store was replicated or
     * before accounts followed the store); returns how many. A user without mail in the slot is
     * not created by it. One whose address another account of the store holds is left where it
     * is, with a WARN. The own directory keeps its copies (a node started without [replication]
     * uses them).
     */
    public int copyFrom(SqliteDirectory from) {
        int copied = 0;
        for (User u : from.users()) {
            if (!slot.hasUser(u.name()) || store.account(u.name()).isPresent()) continue;
            List<String> aliases = new ArrayList<>();
            for (AddressEntry e : from.addresses(Optional.of(u.name()))) if (!e.primary()) aliases.add(e.address());
            Account a = new Account(from.passwordHash(u.name()).orElse(null), u.primaryAddress(), aliases, u.quota().storageBytes(),
                    u.quota().messages(), u.group(), u.created(), u.disabled());
            try {
                write(u.name(), a);
                copied++;
            } catch (DirectoryException e) {
                log.warn("directory: the account of {} stays in this node's directory only: {}", u.name(), e.getMessage());
            }
        }
        return copied;
    }

    private void change(String name, UnaryOperator<Account> change) {
        String canonical = UserNames.canonical(name);
        Account a = store.account(canonical).orElseThrow(() -> SqlUsers.noSuchUser(canonical));
        write(canonical, change.apply(a));
    }

    private void write(String user, Account a) {
        storeWrite(() -> {
            slot.setAccount(user, a);
            return null;
        });
    }

    private static <T> T storeWrite(java.util.function.Supplier<T> write) {
        try {
            return write.get();
        } catch (StoreException e) {
            throw switch (e.reason()) {
                case ALREADY_EXISTS -> new DirectoryException(Reason.ADDRESS_TAKEN, e.getMessage(), e);
                case NO_SUCH_USER -> new DirectoryException(Reason.NO_SUCH_USER, e.getMessage(), e);
                case INVALID_ARGUMENT -> new DirectoryException(Reason.INVALID_USER_NAME, e.getMessage(), e);
                default -> new DirectoryException(Reason.UNAVAILABLE, e.getMessage(), e);
            };
        }
    }

    /** A hash as this directory makes them (Argon2id, PHC string), or null. */
    private static void checkHash(String hash) {
        if (hash != null && (!hash.startsWith("$argon2") || hash.length() > 512 || hash.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
            throw new DirectoryException(Reason.INVALID_PASSWORD, "not an Argon2 password hash");
        }
    }

    /** The node's own directory's: placement is the cluster's, and a static pair has none. */
    @Override public Placement placement() { return local.placement(); }

    /** The slot is the node's; the SQLite directory too: the node closes them. */
    @Override public void close() {}
}
