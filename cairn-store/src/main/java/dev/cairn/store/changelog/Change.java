// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.changelog;

import dev.cairn.store.Account;
import dev.cairn.store.BodyId;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.SpecialUse;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;

/**
 * One mutation of a user's data, as the change log keeps it: complete enough for a replica that
 * has everything up to the previous sequence number to apply it (bodies are named by id; the
 * replica fetches the ones it lacks). Mailboxes are named by their uniqueid, never by name.
 */
public sealed interface Change {
    /** The user was created (its default mailboxes follow as MailboxCreated in the same record). */
    record UserCreated(String user) implements Change {}

    /** The user and everything it held were removed. */
    record UserDeleted(String user) implements Change {}

    record MailboxCreated(MailboxId id, String name, long uidValidity, Set<SpecialUse> specialUse) implements Change {
        public MailboxCreated { specialUse = Set.copyOf(specialUse); }
    }

    record MailboxRenamed(MailboxId id, String oldName, String newName) implements Change {}

    /** The mailbox and all its messages are gone (its UIDs are never reused: the id is never reused). */
    record MailboxDeleted(MailboxId id, String name) implements Change {}

    /** New messages (APPEND, delivery, COPY, MOVE's copy half), UIDs ascending. */
    record MessagesAppended(MailboxId mailbox, List<AppendedMessage> messages) implements Change {
        public MessagesAppended { messages = List.copyOf(messages); }
    }

    record AppendedMessage(long uid, Flags flags, OffsetDateTime internalDate, Instant saveDate, long size, BodyId body,
                           String threadId) {}

    /** Messages whose flags became exactly the given ones (not a delta: idempotent to apply). */
    record FlagsSet(MailboxId mailbox, List<FlagState> messages) implements Change {
        public FlagsSet { messages = List.copyOf(messages); }
    }

    record FlagState(long uid, Flags flags) {}

    record MessagesExpunged(MailboxId mailbox, List<Long> uids) implements Change {
        public MessagesExpunged { uids = List.copyOf(uids); }
    }

    record Subscribed(String name) implements Change {}

    record Unsubscribed(String name) implements Change {}

    /** SETACL/DELETEACL: empty rights remove the entry. */
    record AclSet(MailboxId mailbox, String identifier, String rights) implements Change {}

    /**
     * The mailbox's UIDNEXT moved up with no message: a promoted master skips the UIDs its
     * predecessor may have handed out (its reservation), and replicas that follow it skip them too.
     */
    record UidNextRaised(MailboxId mailbox, long uidNext) implements Change {}

    /**
     * The user's account became exactly this (not a delta: idempotent to apply). Its addresses
     * are the slot's to resolve: an address index follows every account (see ChangeApplier).
     */
    record AccountSet(Account account) implements Change {}

    /** The user's account is gone; its mail stays (`cairn user delete --keep-mail`). */
    record AccountRemoved() implements Change {}

    /**
     * The mailbox got a new UIDVALIDITY, higher than every one it had; its messages keep their
     * UIDs under it. Two masters give one: a master that runs without a replica, instead of
     * handing out UIDs past what a replica promoted without knowing them could hand out again
     * (the degraded UID window), and a master promoted by force, which cannot vouch for every UID
     * its predecessor handed out. Clients forget what they knew of the mailbox and resync it
     * (RFC 9051 §2.3.1.1, RFC 7162 §3.2.5); replicas follow.
     */
    record UidValidityChanged(MailboxId mailbox, long uidValidity) implements Change {}
}
