// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.Optional;

/**
 * The directory's hot path, a login and a delivery's recipient, with its rules written once
 * whatever holds the accounts ({@link AccountSource}: the SQL tables, a replicated store's
 * slot, or both): nothing cached, so a change applies to the next lookup, and for a login one
 * password hash whatever the outcome.
 */
final class Lookups {
    private final AccountSource accounts;
    private final Optional<String> defaultDomain;
    private final PasswordHasher hasher;
    /** Successful verifications remembered for 10 minutes: repeated logins skip Argon2id. */
    private final VerifiedPasswords verified;

    Lookups(AccountSource accounts, Optional<String> defaultDomain, PasswordHasher hasher, VerifiedPasswords verified) {
        this.accounts = accounts;
        this.defaultDomain = defaultDomain;
        this.hasher = hasher;
        this.verified = verified;
    }

    Login login(String login, char[] password) {
        Optional<AccountSource.Credentials> found = Optional.empty();
        if (login != null && login.length() <= 2 * Addresses.MAX_ADDRESS) {
            if (UserNames.isValid(login)) found = accounts.byName(UserNames.normalize(login));
            Optional<Addresses.Parsed> address = found.isPresent() ? Optional.empty() : Addresses.parse(login);
            if (address.isPresent()) found = accounts.byAddress(address.get().address());
        }
        // Always one hash: an unknown login, a user without password and a disabled user all
        // take as long as a wrong password for a real user (no user enumeration by timing).
        String hash = found.map(AccountSource.Credentials::hash).orElse(null);
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
            // Raised parameters apply at the next successful login.
            accounts.rehashed(name, hash, hasher.hash(password));
        }
        return new Login(Login.Outcome.SUCCESS, Optional.of(name));
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
        Optional<Recipient> found = Optional.empty();
        if (byAddress) {
            found = accounts.recipientByAddress(parsed.address(), Optional.empty());
            if (found.isEmpty() && base.isPresent()) found = accounts.recipientByAddress(base.get().address(), detail);
        }
        if (found.isEmpty() && byName) {
            found = accounts.recipientByName(parsed.local(), Optional.empty());
            if (found.isEmpty() && base.isPresent()) found = accounts.recipientByName(base.get().local(), detail);
        }
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
}
