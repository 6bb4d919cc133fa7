// SPDX-License-Identifier: Apache-2.0
/**
 * What replication needs from a slot, whatever engine holds it: the store's side of the
 * replication contract ({@link dev.cairn.store.replication.SlotReplication}, reached through
 * {@link dev.cairn.store.SlotStore#replication()}) and its values.
 *
 * <p>Master side: the {@link dev.cairn.store.replication.CommitHook} around every local commit
 * (reservation before, shipping after, the sync wait before the caller's answer), the users'
 * seqs, the epoch of a kept record, whole-user copies for a resync (streamed in bounded parts:
 * {@link dev.cairn.store.replication.UserImageStream}; whole {@link dev.cairn.store.replication.UserImage}s
 * for protocol-1 peers), and the vanished UIDs of a reconciliation. Replica side: the write fence, the epoch
 * and the {@link dev.cairn.store.replication.Role} kept across restarts, each channel's
 * {@link dev.cairn.store.replication.Position}s, the exact apply of a master's records, the
 * {@link dev.cairn.store.replication.Reservation}s of UIDs and MODSEQs, promotion past them, and
 * installing an image (staged part by part beside the old copy and switched over at once:
 * {@link dev.cairn.store.replication.UserImageStaging}). The in-sync set: a replica's own
 * {@link dev.cairn.store.replication.SyncState} claim and a master's state of each replica, and the
 * unclean promotion's new UIDVALIDITYs ({@link dev.cairn.store.replication.NewUidValidity}). How
 * these travel between nodes (frames, the image's wire form) is the
 * replication module's; how they are kept in a slot is the engine's.
 */
package dev.cairn.store.replication;
