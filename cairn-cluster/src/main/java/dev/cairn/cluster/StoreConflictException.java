// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/**
 * A compare-and-set on a store record lost: the record changed since the writer read it (or was
 * created or deleted meanwhile). The writer re-reads it and decides again.
 */
public final class StoreConflictException extends Exception {
    private final String store;
    private final int expectedVersion;

    public StoreConflictException(String store, int expectedVersion, String what) {
        super("store " + store + " " + what + " since its version " + expectedVersion + " was read: re-read it and decide again");
        this.store = store;
        this.expectedVersion = expectedVersion;
    }

    public String store() { return store; }

    public int expectedVersion() { return expectedVersion; }
}
