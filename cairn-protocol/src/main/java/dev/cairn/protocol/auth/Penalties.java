// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The failure counts behind {@link AuthThrottle} (see there for the rules): per address a count,
 * per account the addresses that failed for it. Both in one map of at most
 * {@link AuthThrottle.Config#maxEntries()} entries, and the (account, address) pairs that logged
 * in in another; the least recently used dropped first. Keys are {@link AuthThrottle#addressKey}
 * and {@link AuthThrottle#accountKey}; a null key counts nothing.
 */
final class Penalties {
    /** Distinct failing addresses an account remembers: more add no penalty (the cap is reached at 5). */
    static final int MAX_ACCOUNT_ADDRESSES = 8;

    private sealed interface Failures permits AddressFailures, AccountFailures {
        Instant last();
    }

    /** @param onlyAccount the account all these failures were for, null when several (or none) */
    private record AddressFailures(int count, Instant last, String onlyAccount) implements Failures {}

    /** @param addresses the addresses that failed for the account, the latest last */
    private record AccountFailures(List<String> addresses, Instant last) implements Failures {}

    private final AuthThrottle.Config config;
    private final LinkedHashMap<String, Failures> failures;
    private final LinkedHashMap<String, Instant> trusted;

    Penalties(AuthThrottle.Config config) {
        this.config = config;
        int max = config.maxEntries();
        this.failures = new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) { return size() > max; }
        };
        this.trusted = new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) { return size() > max; }
        };
    }

    /** When the address's penalty ends (maybe already past); null when it has no recent failure. */
    synchronized Instant addressPenaltyEnd(String address, Instant now) {
        if (!(current(address, now) instanceof AddressFailures f)) return null;
        return f.last().plus(delayAfter(f.count()));
    }

    /**
     * Whether an attempt for {@code account} from {@code address} goes through the account's
     * gate: the address has not logged in as the account recently, and another address failed
     * for it.
     */
    synchronized boolean accountGated(String account, String address, Instant now) {
        return otherFailingAddresses(account, address, now) > 0 && !isTrusted(account, address, now);
    }

    /** When the account's penalty for this address ends; null when there is none. */
    synchronized Instant accountPenaltyEnd(String account, String address, Instant now) {
        if (!accountGated(account, address, now)) return null;
        int others = otherFailingAddresses(account, address, now);
        return current(account, now).last().plus(delayAfter(others - 1));
    }

    /** Whether this address failed for this account recently. */
    synchronized boolean failedFor(String account, String address, Instant now) {
        return current(account, now) instanceof AccountFailures f && f.addresses().contains(address);
    }

    synchronized void failed(String account, String address, Instant now) {
        if (address != null) {
            if (current(address, now) instanceof AddressFailures f) {
                failures.put(address, new AddressFailures(f.count() + 1, now,
                        Objects.equals(f.onlyAccount(), account) ? account : null));
            } else {
                failures.put(address, new AddressFailures(1, now, account));
            }
        }
        if (account != null) {
            List<String> addresses = new ArrayList<>();
            if (current(account, now) instanceof AccountFailures f) addresses.addAll(f.addresses());
            if (address != null) {
                addresses.remove(address);
                addresses.add(address);
                if (addresses.size() > MAX_ACCOUNT_ADDRESSES) addresses.removeFirst();
            }
            failures.put(account, new AccountFailures(List.copyOf(addresses), now));
        }
    }

    synchronized void succeeded(String account, String address, Instant now) {
        if (address != null && current(address, now) instanceof AddressFailures f
                && account != null && account.equals(f.onlyAccount())) {
            failures.remove(address);
        }
        if (account != null && address != null) {
            if (current(account, now) instanceof AccountFailures f && f.addresses().contains(address)) {
                List<String> rest = new ArrayList<>(f.addresses());
                rest.remove(address);
                if (rest.isEmpty()) failures.remove(account);
                else failures.put(account, new AccountFailures(List.copyOf(rest), f.last()));
            }
            trusted.put(account + " " + address, now);
        }
    }

    synchronized int size() { return failures.size(); }

    /** The penalty after {@code failures} failures: initial × 2^(failures-1), capped. */
    Duration delayAfter(int failures) {
        if (failures <= 0) return Duration.ZERO;
        Duration delay = config.initialDelay();
        for (int i = 1; i < failures && delay.compareTo(config.maxDelay()) < 0; i++) delay = delay.multipliedBy(2);
        return delay.compareTo(config.maxDelay()) > 0 ? config.maxDelay() : delay;
    }

    private int otherFailingAddresses(String account, String address, Instant now) {
        if (!(current(account, now) instanceof AccountFailures f)) return 0;
        return f.addresses().size() - (f.addresses().contains(address) ? 1 : 0);
    }

    private boolean isTrusted(String account, String address, Instant now) {
        if (account == null || address == null) return false;
        String key = account + " " + address;
        Instant since = trusted.get(key);
        if (since == null) return false;
        if (!now.isBefore(since.plus(config.trustFor()))) {
            trusted.remove(key);
            return false;
        }
        return true;
    }

    /** The entry under {@code key} unless it expired (then it is dropped). */
    private Failures current(String key, Instant now) {
        if (key == null) return null;
        Failures e = failures.get(key);
        if (e == null) return null;
        if (!now.isBefore(e.last().plus(config.expireAfter()))) {
            failures.remove(key);
            return null;
        }
        return e;
    }
}
