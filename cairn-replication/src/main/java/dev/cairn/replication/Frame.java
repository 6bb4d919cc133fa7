// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.BodyId;
import dev.cairn.store.replication.UserImage;
import java.util.List;

/**
 * One message of the replication protocol (see PROTOCOL.md in this module for the byte layout).
 * The master connects; the replica answers. Every frame after the handshake names the store and
 * the sender's epoch, so a frame from a superseded master is recognised as such and refused.
 */
public sealed interface Frame {
    /** Master to replica, first: who is calling, for which store and channel, at which epoch. */
    record Hello(int version, String node, String store, long epoch, int channel, byte[] nonce) implements Frame {}

    /** Replica to master: its own nonce and its proof that it knows the cluster secret. */
    record Challenge(String node, long epoch, byte[] nonce, byte[] mac) implements Frame {}

    /** Master to replica: the master's proof. */
    record Auth(byte[] mac) implements Frame {}

    /** Replica to master, after Auth: where the replica's copy of each user of the channel stands. */
    record Positions(String store, long epoch, List<Position> positions) implements Frame {}

    record Position(String user, long seq, long recordEpoch) {}

    /** Master to replica: change records in order per user, with the bodies the replica may lack. */
    record Changes(String store, long epoch, List<Entry> entries) implements Frame {}

    /** One change record of a user: its seq, the record's bytes (ChangeCodec) and bodies it adds. */
    record Entry(String user, long seq, byte[] record, List<Body> bodies) {}

    record Body(BodyId id, byte[] bytes) {}

    /** Replica to master: each user's seq now durable on the replica (answers Changes and Resync). */
    record Ack(String store, long epoch, List<Applied> applied) implements Frame {}

    record Applied(String user, long seq) {}

    /** Replica to master: the record at seq needs these bodies; the master sends it again with them. */
    record NeedBodies(String user, long seq, List<BodyId> bodies) implements Frame {}

    /** Replica to master: the user's copy cannot follow the log; the master copies it whole. */
    record NeedResync(String user, String reason) implements Frame {}

    /** Master to replica: record durably that MODSEQs up to seq and the UIDs given (otherUids in unlisted mailboxes) may be handed out. */
    record Reserve(long request, String user, long seq, List<UidCeiling> uids, long otherUids) implements Frame {}

    record UidCeiling(String mailbox, long uid) {}

    /** Replica to master: the reservation is durable. */
    record Reserved(long request) implements Frame {}

    /**
     * Master to replica: part of a whole-user image ({@link UserImageCodec} bytes), parts in
     * order, the last one flagged; seq -1 (with no bytes) means the user is gone from the master.
     */
    record Resync(String user, long seq, boolean last, byte[] part) implements Frame {}

    /** Master to replica: send me your records after fromSeq (you hold changes I never had: reconciliation). */
    record Reconcile(String user, long fromSeq) implements Frame {}

    /** Replica to master: its records after the common point, with the bodies they add that it still has. */
    record Diverged(String user, List<byte[]> records, List<Body> bodies) implements Frame {}

    /**
     * Master to replica (protocol version 2): whether the replica holds everything the master
     * acknowledged (its place in the store's in-sync set), and since when on the master's clock
     * (ms). {@code version} orders one master's announcements across its channels. Not answered.
     */
    record InSync(String store, long epoch, long version, boolean inSync, long since) implements Frame {}

    /**
     * Master to replica (protocol version 2): the next records of a user's copy, all read from one view of
     * the user at seq (a streamed resync); the replica stages them and answers ImageWants.
     */
    record ImagePart(String user, long seq, List<UserImage.Entry> entries) implements Frame {}

    /** Replica to master: the bodies the last ImagePart's records reference that the replica lacks (maybe none). */
    record ImageWants(String user, List<BodyId> bodies) implements Frame {}

    /** Master to replica: bodies the last ImageWants asked for, as many frames as they take; not answered. */
    record ImageBodies(String user, List<Body> bodies) implements Frame {}

    /** Master to replica: the copy is complete; the replica switches the user to it and answers with an Ack. */
    record ImageEnd(String user, long seq) implements Frame {}

    /**
     * Master to replica (protocol version 3): a planned switchover. The master stopped taking writes
     * for the store and this replica has acknowledged everything it committed: take the store over
     * at {@code newEpoch} (the master's {@code epoch} + 1 or more). Answered by {@link TakenOver};
     * handled, like every frame but Changes, after the Changes frames before it are applied.
     */
    record TakeOver(String store, long epoch, long newEpoch) implements Frame {}

    /**
     * Replica to master (protocol version 3): the answer to {@link TakeOver}. {@code done}: this
     * node masters the store now at {@code epoch}; else {@code reason} says why it refused (and
     * {@code epoch} is its unchanged one).
     */
    record TakenOver(String store, long epoch, boolean done, String reason) implements Frame {}

    /** Either side: a refusal; the connection closes after it. {@code epoch} is the sender's. */
    record Error(int code, long epoch, String message) implements Frame {}

    /** Error codes. */
    int STALE_EPOCH = 1, BAD_AUTH = 2, UNKNOWN_STORE = 3, BAD_FRAME = 4, VERSION = 5, NOT_REPLICA = 6;
}
