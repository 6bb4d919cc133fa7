// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The directory's hot path, a login and a delivery's recipient: one indexed query each in its own
 * read transaction (nothing cached, so a change made by {@code cairn user} applies to the next
 * one), and for a login one password hash whatever the outcome.
 */
final class SqliteLookups {
    private final SqlitePool pool;
    private final Optional<String> defaultDomain;
    private final PasswordHasher hasher;
    /** Successful verifications remembered for 10 minutes: repeated logins skip Argon2id. */
    private final VerifiedPasswords verified;

    SqliteLookups(SqlitePool pool, Optional<String> defaultDomain, PasswordHasher hasher, VerifiedPasswords verified) {
        this.pool = pool;
        this.defaultDomain = defaultDomain;
        this.hasher = hasher;
        this.verified = verified;
    }

    private record Credentials(String name, String hash, boolean disabled) {}

    Login login(String login, char[] password) {
        Optional<Credentials> found = Optional.empty();
        if (login != null && login.length() <= 2 * Addresses.MAX_ADDRESS) {
            found = pool.withConnection(c -> {
                if (UserNames.isValid(login)) {
                    Optional<Credentials> byName = credentials(c,
                            "SELECT name, password_hash, disabled FROM users WHERE name = ?", UserNames.normalize(login));
                    if (byName.isPresent()) {
                        return byName;
                    }
                }
                Optional<Addresses.Parsed> address = Addresses.parse(login);
                if (address.isPresent()) {
                    return credentials(c, """
                            SELECT u.name, u.password_hash, u.disabled FROM addresses a JOIN users u ON u.name = a.user_name
                            WHERE a.address = ?""", address.get().address());
                }
                return Optional.empty();
            });
        }
        // Always one hash: an unknown login, a user without password and a disabled user all
        // take as long as a wrong password for a real user (no user enumeration by timing).
        String hash = found.map(Credentials::hash).orElse(null);
        boolean match = verified.matches(hash, password) || hasher.verify(password, hash);
        if (!match) {
            return Login.INVALID;
        }
        verified.remember(hash, password);
        String name = found.get().name();
        if (found.get().disabled()) {
            return new Login(Login.Outcome.DISABLED, Optional.of(name));
        }
        if (hasher.needsRehash(hash)) {
            // Raised parameters apply at the next successful login; compare-and-set so a password
            // changed meanwhile (by `cairn user passwd`) is not overwritten with the old one.
            String upgraded = hasher.hash(password);
            pool.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement(
                        "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?")) {
                    s.setString(1, upgraded);
                    s.setString(2, name);
                    s.setString(3, hash);
                    s.executeUpdate();
                }
                return null;
            });
        }
        return new Login(Login.Outcome.SUCCESS, Optional.of(name));
    }

    private static Optional<Credentials> credentials(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Credentials(r.getString(1), r.getString(2), r.getInt(3) != 0)) : Optional.empty();
            }
        }
    }

    Resolution resolve(String address, LocalDomains local) {
        if (address == null || address.isEmpty()) {
            return new Resolution.Unknown("an empty address");
        }
        if (address.length() > 2 * Addresses.MAX_ADDRESS) {
            return new Resolution.Unknown("an address is at most " + Addresses.MAX_ADDRESS + " octets");
        }
        boolean bare = address.indexOf('@') < 0;
        if (bare && !local.bareNames()) {
            return new Resolution.Unknown("a recipient needs a domain here (bare user names are off)");
        }
        // A bare name is checked as a local part; with a default domain it is also an address there.
        String full = bare ? address + "@" + defaultDomain.orElse("localhost") : address;
        String problem = Addresses.problem(full);
        if (problem != null) {
            return new Resolution.Unknown(problem);
        }
        Addresses.Parsed parsed = Addresses.parse(full).orElseThrow();
        Optional<Addresses.Parsed> base = parsed.withoutDetail();
        Optional<String> detail = parsed.detail().filter(d -> !d.isEmpty());
        boolean byAddress = !bare || defaultDomain.isPresent();
        boolean byName = bare || defaultDomain.filter(parsed.domain()::equals).isPresent() || local.contains(parsed.domain());
        Optional<Recipient> found = pool.withConnection(c -> {
            String addressQuery = """
                    SELECT u.name, u.disabled FROM addresses a JOIN users u ON u.name = a.user_name WHERE a.address = ?""";
            String nameQuery = "SELECT name, disabled FROM users WHERE name = ?";
            Optional<Recipient> r = Optional.empty();
            if (byAddress) {
                r = recipient(c, addressQuery, parsed.address(), Optional.empty());
                if (r.isEmpty() && base.isPresent()) {
                    r = recipient(c, addressQuery, base.get().address(), detail);
                }
            }
            if (r.isEmpty() && byName) {
                r = recipient(c, nameQuery, parsed.local(), Optional.empty());
                if (r.isEmpty() && base.isPresent()) {
                    r = recipient(c, nameQuery, base.get().local(), detail);
                }
            }
            return r;
        });
        if (found.isPresent()) {
            return new Resolution.Found(found.get());
        }
        String user = base.orElse(parsed).local();
        if (bare) {
            return new Resolution.Unknown("no user " + user + (byAddress ? " and no address " + parsed.address() : ""));
        }
        if (byName) {
            return new Resolution.Unknown("no address " + parsed.address() + " and no user " + user);
        }
        return new Resolution.Unknown("no address " + parsed.address() + ", and " + parsed.domain()
                + " is not a local domain (where user names are addresses)");
    }

    private static Optional<Recipient> recipient(Connection c, String sql, String key, Optional<String> detail) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Recipient(r.getString(1), detail, r.getInt(2) != 0)) : Optional.empty();
            }
        }
    }
}
