// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link Placement} in the directory's tables: the {@code store} column of {@code users}, and the
 * tables {@code group_stores} and {@code domain_stores}. Changes run in the directory's write
 * transactions (the write lock first); a compare-and-set is moreover one conditional update, so
 * of two movers of one user only one can win.
 */
final class SqlPlacement implements Placement {
    private static final Logger log = LoggerFactory.getLogger(SqlPlacement.class);

    private final SqlPool pool;

    SqlPlacement(SqlPool pool) { this.pool = pool; }

    @Override public Optional<String> storeOf(String user) {
        if (!UserNames.isValid(user)) return Optional.empty();
        return one("SELECT store FROM users WHERE name = ?", UserNames.normalize(user));
    }

    @Override public boolean place(String user, Optional<String> expected, String store) {
        String name = UserNames.canonical(user);
        Placement.checkStore(store);
        boolean placed = pool.inTransaction(c -> {
            // One statement compares and sets: atomic also without the write lock (PostgreSQL
            // checks the condition again on the row a concurrent writer just committed).
            try (PreparedStatement s = c.prepareStatement("UPDATE users SET store = ? WHERE name = ? AND store IS NOT DISTINCT FROM ?")) {
                s.setString(1, store);
                s.setString(2, name);
                s.setString(3, expected.orElse(null));
                if (s.executeUpdate() == 1) return true;
            }
            if (!SqlPool.exists(c, "SELECT 1 FROM users WHERE name = ?", name)) throw SqlUsers.noSuchUser(name);
            return false;
        });
        if (placed) log.info("directory: user {} placed on store {}{}", name, store, expected.map(e -> " (was " + e + ")").orElse(""));
        return placed;
    }

    @Override public List<String> usersOf(String store) {
        String checked = Placement.checkStore(store);
        return pool.withConnection(c -> {
            List<String> users = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT name FROM users WHERE store = ? ORDER BY name")) {
                s.setString(1, checked);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) users.add(r.getString(1));
                }
            }
            return users;
        });
    }

    @Override public Optional<String> groupStore(String group) {
        return one("SELECT store FROM group_stores WHERE group_name = ?", SqlUsers.checkGroup(group));
    }

    @Override public void setGroupStore(String group, Optional<String> store) {
        set("group_stores", "group_name", SqlUsers.checkGroup(group), store);
    }

    @Override public Optional<String> domainStore(String domain) {
        return one("SELECT store FROM domain_stores WHERE domain = ?", canonicalDomain(domain));
    }

    @Override public void setDomainStore(String domain, Optional<String> store) {
        set("domain_stores", "domain", canonicalDomain(domain), store);
    }

    /** The domain as addresses spell it (lower case, no trailing dot); INVALID_ADDRESS when it is none. */
    private static String canonicalDomain(String domain) {
        if (domain == null || Addresses.problem("postmaster@" + domain) != null) {
            throw new DirectoryException(Reason.INVALID_ADDRESS, "'" + domain + "' is not a domain name");
        }
        return Addresses.domain(domain);
    }

    private void set(String table, String key, String value, Optional<String> store) {
        store.ifPresent(Placement::checkStore);
        pool.inTransaction(c -> {
            SqlPool.execute(c, "DELETE FROM " + table + " WHERE " + key + " = ?", value);
            if (store.isPresent()) SqlPool.execute(c, "INSERT INTO " + table + " (" + key + ", store) VALUES (?, ?)", value, store.get());
            return null;
        });
        log.info("directory: {} {} -> {}", key.equals("domain") ? "domain" : "group", value, store.orElse("no store"));
    }

    private Optional<String> one(String sql, String key) {
        return pool.withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, key);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }
}
