// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/**
 * Where a user's quota limits come from (the directory). The store keeps usage; the limits are
 * asked for at every write that grows the user, so a change in the directory applies at once.
 */
@FunctionalInterface
public interface QuotaPolicy {
    /** Limits for a user; -1 for "no limit". */
    Limits limits(String user);

    record Limits(long storageBytes, long messages) {
        public static final Limits NONE = new Limits(-1, -1);
    }

    QuotaPolicy UNLIMITED = user -> Limits.NONE;
}
