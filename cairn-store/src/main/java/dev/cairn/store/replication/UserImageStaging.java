// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import dev.cairn.store.BodyId;
import java.util.List;
import java.util.Map;

/**
 * A replica's copy of one user being built from a master's parts beside the copy it has: every
 * part is durable as it arrives, but the user reads as before until {@link #finish} switches it
 * over in one durable batch. Closing it unfinished (or a crash: the next open) drops what was
 * staged, and the old copy stays as it was. The memory it holds is one part's records whose
 * bodies have not come yet.
 */
public interface UserImageStaging extends AutoCloseable {
    /**
     * Stages the records (as {@link UserImageStream#next} gave them); returns the bodies they
     * reference that this slot lacks: the records that need them wait until {@link #bodies} gives
     * them. Fails with IllegalArgumentException on records this engine cannot hold.
     *
     * @throws MissingBodies when bodies the previous part needed never came
     */
    List<BodyId> add(List<UserImage.Entry> entries);

    /**
     * Bodies asked for by the last {@link #add}: each is stored with the records that wait for it.
     *
     * @throws NeedsResync when a body's bytes do not match its id
     */
    void bodies(Map<BodyId, byte[]> bodies);

    /**
     * Switches the user over to the staged copy in one durable batch (its change log restarts at
     * the copy's seq, as {@link SlotReplication#installUser}); the old copy is dropped after.
     *
     * @throws MissingBodies when bodies asked for never came (nothing switched)
     * @throws NeedsResync   when the copy is incomplete (no user header, or another seq)
     */
    void finish();

    /** Drops what was staged unless {@link #finish} switched to it. */
    @Override void close();
}
