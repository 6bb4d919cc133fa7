// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.directory.Directory;
import dev.cairn.lmtp.RecipientResolver;

import java.util.Optional;

/**
 * LMTP recipients resolved by the directory: addresses, aliases, {@code local+detail@domain} and
 * bare local parts of the default domain. A disabled account receives nothing: its recipients
 * are answered as unknown (550), so the sender learns at once rather than after retries. A
 * directory failure throws, and LMTP answers 451 so the MTA retries.
 */
public record DirectoryRecipientResolver(Directory directory) implements RecipientResolver {
    @Override
    public Optional<Recipient> resolve(String address) {
        return directory.resolve(address)
                .filter(r -> !r.disabled())
                .map(r -> new Recipient(r.user(), r.detail()));
    }
}
