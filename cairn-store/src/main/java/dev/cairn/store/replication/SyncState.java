// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import java.time.Instant;

/**
 * Whether a replica holds everything its master acknowledged, as last known, kept durably in the
 * slot: on a replica its own claim (what its master last told it, and when it last heard from it),
 * on a master one per replica (the store's in-sync set). Only a replica whose claim is in sync is
 * promoted without {@code --force}.
 *
 * @param epoch   the master's epoch when it decided; with {@code version} it orders the master's
 *                announcements (channels deliver them in any order: the later one wins)
 * @param version the master's announcement number (strictly increasing within one master)
 * @param at      IN_SYNC: when the replica last heard from the master; LINK_LOST: when the link was
 *                lost; OUT_OF_SYNC: since when it is out of sync (milliseconds since the epoch)
 * @param why     OUT_OF_SYNC: the reason, in words; otherwise empty
 */
public record SyncState(Kind kind, long epoch, long version, long at, String why) {
    public enum Kind {
        /** It holds everything the master acknowledged, and hears from it. */
        IN_SYNC,
        /** It held everything the master acknowledged when the link to it was lost. */
        LINK_LOST,
        /** It may lack what the master acknowledged since {@code at}. */
        OUT_OF_SYNC
    }

    public SyncState { why = why == null ? "" : why; }

    public boolean inSync() { return kind != Kind.OUT_OF_SYNC; }

    public Instant time() { return Instant.ofEpochMilli(at); }

    public SyncState with(Kind kind, long at, String why) { return new SyncState(kind, epoch, version, at, why); }

    /** In words, for status and refusals: "in sync as of epoch 2", "out of sync since ... (why)". */
    public String describe() {
        return switch (kind) {
            case IN_SYNC -> "in sync as of epoch " + epoch + " (last heard from the master " + time() + ")";
            case LINK_LOST -> "in sync as of epoch " + epoch + " until the link to the master was lost at " + time();
            case OUT_OF_SYNC -> "out of sync since " + time() + (why.isEmpty() ? "" : " (" + why + ")");
        };
    }
}
