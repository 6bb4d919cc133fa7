// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where a recipient reaches a user by the user's name, without an address of its own: in these
 * domains {@code alice@domain} is user alice (as Dovecot does with {@code auth_username_format=%Ln}
 * for its local domains), and with {@code bareNames} a recipient without domain, {@code alice},
 * is too. The directory's default domain is always one of them.
 *
 * <p>A Postfix that hands mail for local users to Cairn ({@code mailbox_transport}) sends
 * {@code user@$myhostname}; an MTA that forwards a bare name sends {@code user}. Addresses of other
 * domains reach only the users who hold that address.
 *
 * @param domains   normalized (lower case, no trailing dot)
 * @param bareNames whether a recipient without '@' names a user
 */
public record LocalDomains(Set<String> domains, boolean bareNames) {
    /** Only the directory's default domain; bare names allowed. */
    public static final LocalDomains NONE = new LocalDomains(Set.of(), true);

    public LocalDomains {
        Set<String> normalized = new LinkedHashSet<>();
        for (String d : domains) {
            String problem = Addresses.problem("postmaster@" + d);
            if (problem != null) {
                throw new DirectoryException(DirectoryException.Reason.INVALID_ADDRESS, "'" + d + "' is not a domain name");
            }
            normalized.add(Addresses.domain(d));
        }
        domains = java.util.Collections.unmodifiableSet(normalized);
    }

    public static LocalDomains of(List<String> domains, boolean bareNames) {
        return new LocalDomains(new LinkedHashSet<>(domains), bareNames);
    }

    /** True when {@code domain} (any case, trailing dot or not) is one of them. */
    public boolean contains(String domain) {
        return domains.contains(Addresses.domain(domain));
    }
}
