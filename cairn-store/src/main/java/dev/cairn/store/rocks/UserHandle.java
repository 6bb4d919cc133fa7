// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxView;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.NewMessage;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.QuotaUsage;
import dev.cairn.store.Results.AclEntry;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.Results.CopyResult;
import dev.cairn.store.Results.ExpungeResult;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.Results.StoreFlagsResult;
import dev.cairn.store.Results.Tombstone;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * What callers hold for a user: it finds the user's in-memory state at each call, so a session
 * that keeps its handle across an eviction of the user's state never writes through a stale copy
 * (two states of one user would hand out the same UIDs). A write that meets a state evicted
 * under it simply runs again on the current one.
 */
final class UserHandle implements UserStore {
    private final RocksSlotStore slot;
    private final String name;

    UserHandle(RocksSlotStore slot, String name) { this.slot = slot; this.name = name; }

    private <T> T on(Function<UserState, T> call) {
        for (int attempt = 0; ; attempt++) {
            UserState s = slot.state(name);
            if (s == null) throw new StoreException(StoreException.Reason.NO_SUCH_USER, "no such user: " + name);
            try {
                return call.apply(s);
            } catch (UserState.Evicted e) {
                if (attempt > 1000) throw new StoreException(StoreException.Reason.UNAVAILABLE, "user state keeps being evicted");
            }
        }
    }

    @Override public String user() { return name; }
    @Override public void confirmAcknowledgement() { slot.replication().confirmAcknowledgement(); }
    @Override public List<MailboxInfo> mailboxes() { return on(UserState::mailboxes); }
    @Override public Optional<MailboxInfo> mailbox(String mailbox) { return on(s -> s.mailbox(mailbox)); }
    @Override public Optional<MailboxInfo> mailbox(MailboxId mailbox) { return on(s -> s.mailbox(mailbox)); }
    @Override public MailboxInfo createMailbox(String mailbox, Set<SpecialUse> specialUse) { return on(s -> s.createMailbox(mailbox, specialUse)); }
    @Override public void deleteMailbox(String mailbox) { on(s -> { s.deleteMailbox(mailbox); return null; }); }
    @Override public void renameMailbox(String from, String to) { on(s -> { s.renameMailbox(from, to); return null; }); }
    @Override public AppendResult append(String mailbox, List<NewMessage> messages) { return on(s -> s.append(mailbox, messages)); }
    @Override public CopyResult copy(MailboxId source, Collection<Uid> uids, String destination) { return on(s -> s.copy(source, uids, destination)); }
    @Override public CopyResult move(MailboxId source, Collection<Uid> uids, String destination) { return on(s -> s.move(source, uids, destination)); }

    @Override public StoreFlagsResult storeFlags(MailboxId mailbox, Collection<Uid> uids, FlagOp op, Flags flags,
                                                 OptionalLong unchangedSince) {
        return on(s -> s.storeFlags(mailbox, uids, op, flags, unchangedSince));
    }

    @Override public ExpungeResult expunge(MailboxId mailbox, Collection<Uid> uids) { return on(s -> s.expunge(mailbox, uids)); }
    @Override public MailboxView view(MailboxId mailbox) { return on(s -> s.view(mailbox)); }
    @Override public Optional<MessageRecord> message(MailboxId mailbox, Uid uid) { return on(s -> s.message(mailbox, uid)); }
    @Override public List<MessageRecord> messages(MailboxId mailbox, Collection<Uid> uids) { return on(s -> s.messages(mailbox, uids)); }
    @Override public ParsedMessage parsed(BodyId body) { return on(s -> s.parsed(body)); }

    @Override public InputStream openBody(BodyId body) throws IOException {
        if (!slot.hasUser(name)) throw new StoreException(StoreException.Reason.NO_SUCH_USER, "no such user: " + name);
        return slot.openBody(body);
    }

    @Override public List<Tombstone> expungedSince(MailboxId mailbox, long modSeq) { return on(s -> s.expungedSince(mailbox, modSeq)); }
    @Override public long claimRecent(MailboxId mailbox, long uidLimit) { return on(s -> s.claimRecent(mailbox, uidLimit)); }
    @Override public long firstUnclaimedRecent(MailboxId mailbox) { return on(s -> s.firstUnclaimedRecent(mailbox)); }
    @Override public Set<String> subscriptions() { return on(UserState::subscriptions); }
    @Override public void subscribe(String mailbox) { on(s -> { s.subscribe(mailbox); return null; }); }
    @Override public void unsubscribe(String mailbox) { on(s -> { s.unsubscribe(mailbox); return null; }); }
    @Override public List<AclEntry> acl(String mailbox) { return on(s -> s.acl(mailbox)); }
    @Override public void setAcl(String mailbox, String identifier, String rights) { on(s -> { s.setAcl(mailbox, identifier, rights); return null; }); }
    @Override public QuotaUsage quota() { return on(UserState::quota); }
    @Override public long highestModSeq() { return on(UserState::highestModSeq); }

    @Override public String toString() { return "UserStore[" + name + "]"; }
}
