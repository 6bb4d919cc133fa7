// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.Directory;
import dev.cairn.directory.LocalDomains;
import dev.cairn.directory.Resolution;
import dev.cairn.lmtp.RecipientResolver;

/**
 * LMTP recipients resolved by the directory: addresses, aliases, {@code local+detail@domain}, and
 * user names in the local domains and the default domain (and bare, when allowed). A disabled
 * account receives nothing: 550 5.2.1, so the sender learns at once rather than after retries. A
 * directory failure throws, and LMTP answers 451 so the MTA retries.
 */
public record DirectoryRecipientResolver(Directory directory, LocalDomains local) implements RecipientResolver {
    @Override
    public Lookup resolve(String address) {
        return switch (directory.resolve(address, local)) {
            case Resolution.Found(var r) when r.disabled() -> new Lookup.Disabled("the account " + r.user() + " is disabled");
            case Resolution.Found(var r) -> new Lookup.Found(new Recipient(r.user(), r.detail()));
            case Resolution.Unknown(String reason) -> new Lookup.Unknown(reason);
        };
    }
}
