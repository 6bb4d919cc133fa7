// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The directory's job in tests: addresses and aliases to users, with "+detail" sub-addressing
 * (RFC 5233) split off the local part. An address mapped to null fails as a directory outage; one
 * mapped to "disabled:NAME" is a disabled account.
 */
final class MapRecipientResolver implements RecipientResolver {
    private final Map<String, String> addresses;

    MapRecipientResolver(Map<String, String> addresses) { this.addresses = addresses; }

    @Override public Lookup resolve(String address) {
        String a = address.toLowerCase(Locale.ROOT);
        int at = a.lastIndexOf('@');
        String local = at < 0 ? a : a.substring(0, at);
        String domain = at < 0 ? "" : a.substring(at);
        Optional<String> detail = Optional.empty();
        int plus = local.indexOf('+');
        if (plus > 0 && !addresses.containsKey(a)) {
            detail = Optional.of(address.substring(plus + 1, at < 0 ? address.length() : at));
            local = local.substring(0, plus);
        }
        String key = local + domain;
        if (!addresses.containsKey(key)) return new Lookup.Unknown("no address " + key);
        String user = addresses.get(key);
        if (user == null) throw new IllegalStateException("directory unreachable");
        if (user.startsWith("disabled:")) return new Lookup.Disabled("account " + user.substring(9) + " is disabled");
        return new Lookup.Found(new Recipient(user, detail));
    }
}
