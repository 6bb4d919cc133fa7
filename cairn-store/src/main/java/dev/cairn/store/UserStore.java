// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import dev.cairn.store.Results.AclEntry;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.Results.CopyResult;
import dev.cairn.store.Results.ExpungeResult;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.Results.StoreFlagsResult;
import dev.cairn.store.Results.Tombstone;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One user's mail on a slot. Every write returns only when durable (its write batch, holding the
 * data, the metadata and the change-log record, is in the synced WAL) and is then pushed to the
 * user's open mailbox views. Writes of one user are applied in one order, the order of their
 * change-log sequence numbers (which are the MODSEQs). A refused write changes nothing and
 * throws {@link StoreException}.
 *
 * <p>Mailbox names are full UTF-8 names with '/' as hierarchy separator; "INBOX" is matched
 * case-insensitively and always reported as "INBOX". Messages are named by mailbox id and UID:
 * a session keeps working on its selected mailbox even if another session renames it.
 */
public interface UserStore {
    String user();

    /**
     * Called by a protocol just before it acknowledges a write that returned (an IMAP tagged OK):
     * throws {@link StoreException} (UNAVAILABLE) when the node may no longer acknowledge it, as a
     * cluster master whose write lease lapsed since the write's own look at it (the write is stored
     * and may be kept: the client retries, and may store it twice).
     */
    default void confirmAcknowledgement() { }

    // --- mailboxes -------------------------------------------------------------------------

    /** Every mailbox, sorted by name. */
    List<MailboxInfo> mailboxes();

    Optional<MailboxInfo> mailbox(String name);

    Optional<MailboxInfo> mailbox(MailboxId id);

    /** CREATE (RFC 9051 §6.3.4): creates missing parents too; a new mailbox gets a new id and UIDVALIDITY. */
    MailboxInfo createMailbox(String name, Set<SpecialUse> specialUse);

    /** DELETE (RFC 9051 §6.3.5): removes the mailbox and its messages; INBOX cannot be deleted. */
    void deleteMailbox(String name);

    /**
     * RENAME (RFC 9051 §6.3.6): keeps the id and UIDVALIDITY and moves the children too. Renaming
     * INBOX moves its messages to a new mailbox and leaves INBOX empty.
     */
    void renameMailbox(String from, String to);

    // --- messages ---------------------------------------------------------------------------

    /** APPEND of one or many messages (MULTIAPPEND, RFC 3502), all or none, UIDs ascending in order given. */
    AppendResult append(String mailbox, List<NewMessage> messages);

    /** COPY (RFC 9051 §6.4.7) of the given UIDs that exist; missing ones are skipped. */
    CopyResult copy(MailboxId source, Collection<Uid> uids, String destination);

    /** MOVE (RFC 6851): copy and expunge in one atomic change. */
    CopyResult move(MailboxId source, Collection<Uid> uids, String destination);

    /**
     * STORE (RFC 9051 §6.4.6) with CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3) when given: a
     * message whose MODSEQ is above it is not changed and is reported as modified. Each changed
     * message gets the new MODSEQ of this change.
     */
    StoreFlagsResult storeFlags(MailboxId mailbox, Collection<Uid> uids, FlagOp op, Flags flags,
                                OptionalLong unchangedSince);

    /** EXPUNGE / UID EXPUNGE of the given UIDs (those that exist); tombstones are kept. */
    ExpungeResult expunge(MailboxId mailbox, Collection<Uid> uids);

    /** The shared in-memory view of a mailbox (SELECT/EXAMINE, IDLE, POP3). */
    MailboxView view(MailboxId mailbox);

    Optional<MessageRecord> message(MailboxId mailbox, Uid uid);

    /** Records for many UIDs at once, in ascending UID order; missing ones are skipped. */
    List<MessageRecord> messages(MailboxId mailbox, Collection<Uid> uids);

    /** The parse kept beside the body (envelope, structure with offsets). */
    ParsedMessage parsed(BodyId body);

    /** The body's bytes as stored, streamed (a large body is not read into memory at once). */
    InputStream openBody(BodyId body) throws IOException;

    /** Expunged UIDs with MODSEQ above {@code modSeq} (QRESYNC VANISHED (EARLIER)). */
    List<Tombstone> expungedSince(MailboxId mailbox, long modSeq);

    // --- \Recent (IMAP4rev1) ------------------------------------------------------------------

    /**
     * \Recent (RFC 3501 §2.3.2): the mailbox's messages from the returned UID up to
     * {@code uidLimit} (exclusive) are recent in the calling session, and in no other: they are
     * claimed, and the next claim starts at {@code uidLimit}. Returns {@code uidLimit} when all of
     * them were claimed already. The mark is this node's: persisted without an fsync and never
     * replicated, so a crash or a failover may show a few messages as recent once more, never hide
     * one from every session.
     */
    long claimRecent(MailboxId mailbox, long uidLimit);

    /** The first UID no session has claimed as recent (STATUS RECENT, EXAMINE, which claim nothing). */
    long firstUnclaimedRecent(MailboxId mailbox);

    // --- subscriptions, ACL, quota -------------------------------------------------------------

    Set<String> subscriptions();

    void subscribe(String name);

    void unsubscribe(String name);

    List<AclEntry> acl(String mailbox);

    /** SETACL (RFC 4314 §3.1); empty rights delete the entry. */
    void setAcl(String mailbox, String identifier, String rights);

    QuotaUsage quota();

    /** The user's highest change-log sequence: the highest MODSEQ of any of its mailboxes. */
    long highestModSeq();
}
