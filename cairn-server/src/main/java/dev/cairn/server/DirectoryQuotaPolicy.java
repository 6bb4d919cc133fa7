// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.Directory;
import dev.cairn.directory.DirectoryException;
import dev.cairn.directory.QuotaLimits;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.StoreException;

/**
 * The store asks the directory for a user's limits at each write that grows the user. A directory
 * that does not answer (PostgreSQL down, or too slow for its timeouts under load) fails the write
 * as a temporary failure: IMAP's NO [UNAVAILABLE], LMTP's 451, which clients and MTAs retry; it
 * was a server bug's NO [SERVERBUG] "Internal error" (seen under bench/proxy.sh PIN=1, where
 * PostgreSQL shared one core with the node and the load generator).
 */
public record DirectoryQuotaPolicy(Directory directory) implements QuotaPolicy {
    @Override
    public Limits limits(String user) {
        QuotaLimits q;
        try {
            q = directory.quota(user);
        } catch (DirectoryException e) {
            if (e.reason() != DirectoryException.Reason.UNAVAILABLE) throw e;
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "the directory did not answer for the quota; try again later");
        }
        return new Limits(q.storageBytes(), q.messages());
    }
}
