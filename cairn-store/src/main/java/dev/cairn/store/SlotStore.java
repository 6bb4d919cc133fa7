// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.List;
import java.util.Optional;

/**
 * One slot: many users' mail, the change log that replication reads, and the slot's side of
 * replication. A {@link StoreEngine} opens it (the node chooses the engine; the RocksDB one keeps
 * the metadata in an embedded RocksDB and the bodies in an append-only log of segment files, with
 * one committer thread that groups concurrent commits into one synced WAL write).
 */
public interface SlotStore extends AutoCloseable {
    SlotConfig config();

    /** The user's store, or {@link StoreException.Reason#NO_SUCH_USER}. */
    UserStore user(String user);

    /**
     * The user's store, created on first use with INBOX and the configured default folders
     * ({@link SlotConfig#defaultFolders()}; Drafts, Sent, Junk, Trash, Archive unless configured
     * otherwise) subscribed.
     */
    UserStore openOrCreateUser(String user);

    boolean hasUser(String user);

    List<String> users();

    /** Removes the user and everything it holds (bodies lose one reference each). */
    void deleteUser(String user);

    // --- accounts: part of the user's replicated data (see Account) -----------------------------

    /** The user's account as this slot holds it (master or replica alike), if any. */
    Optional<Account> account(String user);

    /** The user whose account lists the address (canonical spelling), if any. */
    Optional<String> accountOf(String address);

    /**
     * Sets the user's account (creating the user, with its default folders, when the slot does not
     * have it), in one commit of the user that replication ships like any other. Refused with
     * ALREADY_EXISTS when another account holds one of its addresses, UNAVAILABLE on a replica.
     */
    void setAccount(String user, Account account);

    /** Removes the user's account and keeps its mail; false when it had none. */
    boolean removeAccount(String user);

    /** Verifies every invariant of the given users (all when null), repairing when asked. */
    CheckReport check(String userOrNull, boolean repair);

    /**
     * The slot that holds the user's mail, or would take a new user's: this one for a slot; a
     * node's {@link dev.cairn.store.routing.SlotRouter} answers with the slot of the user's store.
     * Fences are asked of it ({@code slotOf(user).replication().fenceReason()}): a node may be the
     * master of one user's store and a replica of another's.
     */
    default SlotStore slotOf(String user) { return this; }

    /** The slot's change log (what replication ships): records per user, read per user or per channel. */
    dev.cairn.store.changelog.ChangeLog changeLog();

    /** The slot's side of replication: fence, epoch, role, commit hook, positions, apply, reservations, images. */
    dev.cairn.store.replication.SlotReplication replication();

    /** Number of change-log channels; users are hashed onto them. */
    int channels();

    int channelOf(String user);

    /**
     * Tells the listener, once each time, when the slot stops taking writes because another node
     * became master of its store (epoch fencing): the protocol servers end their sessions (IMAP
     * BYE, POP3 -ERR, LMTP 451). Called on the fencing thread, after writes are already refused
     * and before anything else can start on the fenced slot: the listener must not block (it
     * starts a thread for each session it ends), and the sessions it sees are those of before.
     * Running the returned action removes the listener.
     */
    default Runnable onFenced(FenceListener listener) { return () -> {}; }

    @FunctionalInterface
    interface FenceListener {
        /** @param reason why writes are refused (the fence's text, as UNAVAILABLE answers give it) */
        void fenced(String reason);
    }

    @Override void close();
}
