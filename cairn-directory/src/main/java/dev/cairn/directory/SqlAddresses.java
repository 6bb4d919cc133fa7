// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The directory's addresses (table {@code addresses}): each belongs to one user, at most one of
 * a user's is its primary, the others are aliases. An address is unique across the directory.
 */
final class SqlAddresses {
    private static final Logger log = LoggerFactory.getLogger(SqlAddresses.class);

    private final SqlPool pool;

    SqlAddresses(SqlPool pool) { this.pool = pool; }

    void setPrimary(String name, String address) {
        String canonical = UserNames.canonical(name);
        String addr = Addresses.canonical(address);
        pool.inTransaction(c -> {
            if (!SqlPool.exists(c, "SELECT 1 FROM users WHERE name = ?", canonical)) {
                throw SqlUsers.noSuchUser(canonical);
            }
            Optional<String> owner = owner(c, addr);
            if (owner.isPresent() && !owner.get().equals(canonical)) {
                throw new DirectoryException(Reason.ADDRESS_TAKEN, "address " + addr + " belongs to user " + owner.get());
            }
            SqlPool.execute(c, "UPDATE addresses SET is_primary = 0 WHERE user_name = ?", canonical);
            if (owner.isPresent()) {
                SqlPool.execute(c, "UPDATE addresses SET is_primary = 1 WHERE address = ?", addr);
            } else {
                insert(c, addr, canonical, true);
            }
            return null;
        });
    }

    void addAlias(String address, String user) {
        String addr = Addresses.canonical(address);
        String canonical = UserNames.canonical(user);
        pool.inTransaction(c -> {
            if (!SqlPool.exists(c, "SELECT 1 FROM users WHERE name = ?", canonical)) {
                throw SqlUsers.noSuchUser(canonical);
            }
            Optional<String> owner = owner(c, addr);
            if (owner.isPresent()) {
                throw new DirectoryException(Reason.ADDRESS_TAKEN, "address " + addr + " belongs to user " + owner.get());
            }
            insert(c, addr, canonical, false);
            return null;
        });
        log.info("directory: alias {} -> {}", addr, canonical);
    }

    boolean remove(String address) {
        Optional<Addresses.Parsed> parsed = Addresses.parse(address);
        if (parsed.isEmpty()) {
            return false;
        }
        return pool.inTransaction(c -> SqlPool.execute(c, "DELETE FROM addresses WHERE address = ?", parsed.get().address()) > 0);
    }

    List<AddressEntry> list(Optional<String> user) {
        Optional<String> canonical = user.map(UserNames::canonical);
        return pool.withConnection(c -> {
            String sql = "SELECT address, user_name, is_primary FROM addresses"
                    + (canonical.isPresent() ? " WHERE user_name = ?" : "") + " ORDER BY user_name, is_primary DESC, address";
            List<AddressEntry> entries = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                if (canonical.isPresent()) {
                    s.setString(1, canonical.get());
                }
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        entries.add(new AddressEntry(r.getString(1), r.getString(2), r.getInt(3) != 0));
                    }
                }
            }
            return entries;
        });
    }

    static void insert(Connection c, String address, String user, boolean primary) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO addresses (address, user_name, is_primary) VALUES (?, ?, ?)")) {
            s.setString(1, address);
            s.setString(2, user);
            s.setInt(3, primary ? 1 : 0);
            s.executeUpdate();
        }
    }

    static Optional<String> owner(Connection c, String address) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT user_name FROM addresses WHERE address = ?")) {
            s.setString(1, address);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        }
    }
}
