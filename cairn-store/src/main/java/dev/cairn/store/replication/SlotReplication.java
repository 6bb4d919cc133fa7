// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.changelog.ChangeRecord;
import java.util.List;
import java.util.function.Function;

/**
 * What replication needs from a slot, in one place: the write fence, the epoch, the commit hook
 * (reservation before a commit, shipping after it, the sync wait before the caller's OK), and on
 * the replica side the exact apply of a master's change records, the UID/MODSEQ reservations, the
 * promotion past them, and whole-user copies (resync). The epoch, the role and the reservations
 * are kept durably in the slot.
 */
public interface SlotReplication {
    // --- fence, epoch, role ----------------------------------------------------------------------

    /**
     * Refuses every local write with UNAVAILABLE and the reason (a replica, or a fenced former
     * master). A slot that took writes until now tells the fence listeners (its sessions end).
     */
    void fence(String reason);

    void unfence();

    /** Null when writable. */
    String fenceReason();

    long epoch();

    /** Records a newer epoch durably; an older one is ignored. Returns the epoch now in force. */
    long raiseEpoch(long newEpoch);

    /**
     * The role this slot was last given by promotion (MASTER) or by another node taking the store
     * over (REPLICA); null when neither happened. It wins over the config at start, so a former
     * master whose config still names it does not start as master, and a promoted one stays master.
     */
    Role role();

    void setRole(Role role);

    /** Sets the role and names the store it is for (kept with it, for the refusal of a fenced slot's start). */
    void setRole(Role role, String store);

    /** The store the role was last set for, or null when none was named (a slot from before it was kept). */
    String roleStore();

    /**
     * The UIDVALIDITYs this slot gives (new mailboxes, renewals) are congruent to {@code slotClass}
     * modulo {@code classes}: each slot of a store its own class, so no two slots ever give the same
     * one. Not kept: set at every start (a single node: 0 of 1).
     */
    void setUidValidityClass(int slotClass, int classes);

    // --- master side -------------------------------------------------------------------------------

    /** Sets (null: removes) the hook called around every local commit. */
    void setHook(CommitHook hook);

    /** The user's seq on this slot, durable (0 when the user is not here). */
    long seq(String user);

    /**
     * The slot's progress position: the sum over its users of {@link #seq}, durable, in O(1) (kept
     * as seqs are written, counted once when the slot opens). Replicas of one master order by it,
     * and at one epoch a master's minus a replica's is the replica's lag in seqs (a promotion's
     * jump counts in full here; {@code ChangeCount} counts it as one change).
     */
    long position();

    /** The epoch of the user's record at seq, or -1 when this slot does not keep that record. */
    long recordEpoch(String user, long seq);

    /**
     * A consistent copy of everything the user holds (taken under the user's lock): its records
     * but the change log, keyed without the slot-local user id, and the bodies its messages
     * reference. Null when the user is not here.
     */
    UserImage exportUser(String user);

    /**
     * The user's copy for a resync in bounded parts, from one consistent view (see
     * {@link UserImageStream}); null when the user is not here.
     */
    UserImageStream streamUser(String user);

    /**
     * Master side of reconciliation: the given UIDs of the mailbox, which a former master handed
     * out and which never existed here, are remembered as expunged (QRESYNC VANISHED tells clients
     * that saw them); the commit is shipped to the replicas like any other.
     */
    boolean vanish(String user, MailboxId mailbox, List<Long> uids);

    // --- replica side ------------------------------------------------------------------------------

    /** Every user of a channel with its seq and the epoch of its last kept record, all durable. */
    List<Position> positions(int channel);

    /** Whether the slot holds the body (some message references it). */
    boolean hasBody(BodyId body);

    /**
     * Applies a master's record with its exact seq, UIDs and MODSEQs, durably, the applied position
     * (the user's seq) in the same batch. A record at or below the user's seq is skipped (applied
     * already). Bodies the slot lacks must be in {@code bodies}.
     *
     * @throws MissingBodies when a body is neither here nor given
     * @throws NeedsResync   when the record does not follow what this slot has
     */
    ApplyOutcome apply(ChangeRecord record, Function<BodyId, byte[]> bodies);

    /**
     * Applies a user's records in order, consecutive ones in one durable batch where they allow
     * it, and returns the user's seq now durable; fails as {@link #apply} does at the first record
     * that cannot be applied (MissingBodies, NeedsResync), with everything before it durable.
     */
    long applyAll(String user, List<ChangeRecord> records, Function<BodyId, byte[]> bodies);

    /** What a master may hand out for the user, as recorded here ({@link Reservation#NONE} if nothing). */
    Reservation reservation(String user);

    /** Records (durably, merged with what is recorded) what a master may hand out for the user. */
    Reservation reserve(String user, Reservation wanted);

    /**
     * MODSEQs a master may hand out past a replica's reservation of them while it runs without a
     * replica (per user); a promotion moves every user's MODSEQ past reservation + this.
     */
    long MODSEQ_WINDOW = 1L << 32;

    /**
     * Makes this slot a master at the given epoch: every user's MODSEQ and every mailbox's UIDNEXT
     * move past what the former master reserved here (UIDs: or this slot's UIDNEXT, if higher) plus
     * what it may have handed out beyond that without a replica ({@code uidWindow} UIDs per mailbox,
     * {@link #MODSEQ_WINDOW} MODSEQs), so
     * nothing it may have handed out is handed out again (a record with no changes marks the jump
     * in the user's change log). Returns how many users moved.
     */
    int promote(long newEpoch, long uidWindow);

    /**
     * Replaces this slot's copy of the user with the image, in one durable batch: the user's
     * change log restarts at the image's seq (a record with no changes), reference counts follow.
     */
    void installUser(UserImage image);

    /**
     * Starts building a copy of the user at the master's seq beside this slot's copy, for
     * {@link UserImageStream}'s parts; the user switches over only when it is finished.
     */
    UserImageStaging stageUser(String user, long seq);

    /** Drops the user here (a resync of a user the master no longer has). */
    void dropUser(String user);

    // --- the in-sync set ---------------------------------------------------------------------------

    /** This slot's own claim as a replica (what its master last told it), durable; null when it has none. */
    SyncState syncState();

    /** Records this slot's claim durably (null removes it: a master has none). */
    void recordSyncState(SyncState state);

    /** On a master: each replica's state as last decided here (the store's in-sync set), durable. */
    java.util.Map<String, SyncState> replicaStates();

    /** On a master: records a replica's state durably. */
    void recordReplicaState(String replica, SyncState state);

    /**
     * An unclean promotion: gives every mailbox of every user a new UIDVALIDITY, above every one the
     * user had and never one a master of another epoch could choose, in one
     * change record per user at the given epoch (written before replicas follow, so they apply it).
     * Returns one entry per mailbox.
     */
    List<NewUidValidity> renewUidValidities(long epoch);
}
