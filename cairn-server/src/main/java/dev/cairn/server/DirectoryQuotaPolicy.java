// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.Directory;
import dev.cairn.directory.QuotaLimits;
import dev.cairn.store.QuotaPolicy;

/** The store asks the directory for a user's limits at each write that grows the user. */
public record DirectoryQuotaPolicy(Directory directory) implements QuotaPolicy {
    @Override
    public Limits limits(String user) {
        QuotaLimits q = directory.quota(user);
        return new Limits(q.storageBytes(), q.messages());
    }
}
