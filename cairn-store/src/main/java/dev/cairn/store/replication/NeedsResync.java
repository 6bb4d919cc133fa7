// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

/** The record does not follow this slot's copy of the user: only a whole copy (resync) helps. */
public final class NeedsResync extends RuntimeException {
    public NeedsResync(String why) { super(why, null, false, false); }
}
