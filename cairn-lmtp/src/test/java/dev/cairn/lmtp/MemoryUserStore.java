// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.store.BodyId;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxView;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.ModSeq;
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
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * A test double of a user's store for LMTP conversation tests: it keeps appended messages in
 * memory and can be told to refuse appends (disk full, over quota), which a real store cannot
 * be made to do on demand. The real store is used by the integration tests with real clients.
 */
final class MemoryUserStore implements UserStore {
    private final String user;
    final Map<String, List<byte[]>> mailboxes = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    volatile StoreException.Reason refuseWith;
    /** When set, an append is stored and then the node may no longer acknowledge it (a cluster lease lapsed just after the append's look). */
    volatile boolean lapseAfterAppend;
    private volatile boolean lapsed;

    @Override public void confirmAcknowledgement() {
        if (lapsed) throw new StoreException(StoreException.Reason.UNAVAILABLE, "lease lapsed (the test)");
    }

    MemoryUserStore(String user, String... folders) {
        this.user = user;
        mailboxes.put("INBOX", new ArrayList<>());
        for (String f : folders) mailboxes.put(f, new ArrayList<>());
    }

    synchronized List<byte[]> messages(String mailbox) { return List.copyOf(mailboxes.get(mailbox)); }

    @Override public String user() { return user; }

    @Override public synchronized Optional<MailboxInfo> mailbox(String name) {
        if (!mailboxes.containsKey(name)) return Optional.empty();
        return Optional.of(new MailboxInfo(new MailboxId("m" + Math.abs(name.hashCode())), name, 1, mailboxes.get(name).size() + 1L,
                1, Set.of(), mailboxes.get(name).size(), 0, 0, 0));
    }

    @Override public synchronized AppendResult append(String mailbox, List<NewMessage> messages) {
        if (refuseWith != null) throw new StoreException(refuseWith, "refused by the test");
        if (lapseAfterAppend) lapsed = true;
        List<byte[]> box = mailboxes.get(mailbox);
        if (box == null) throw new StoreException(StoreException.Reason.NONEXISTENT, mailbox);
        List<Uid> uids = new ArrayList<>();
        for (NewMessage m : messages) {
            try (InputStream in = m.body().open()) {
                byte[] bytes = in.readAllBytes();
                if (bytes.length != m.body().size()) throw new AssertionError("BodySource size " + m.body().size() + " but " + bytes.length + " octets");
                box.add(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            uids.add(Uid.of(box.size()));
        }
        return new AppendResult(mailbox(mailbox).orElseThrow().id(), 1, uids, new ModSeq(box.size()));
    }

    // Not used by LMTP.
    @Override public List<MailboxInfo> mailboxes() { throw new UnsupportedOperationException(); }
    @Override public Optional<MailboxInfo> mailbox(MailboxId id) { throw new UnsupportedOperationException(); }
    @Override public MailboxInfo createMailbox(String name, Set<SpecialUse> specialUse) { throw new UnsupportedOperationException(); }
    @Override public void deleteMailbox(String name) { throw new UnsupportedOperationException(); }
    @Override public void renameMailbox(String from, String to) { throw new UnsupportedOperationException(); }
    @Override public CopyResult copy(MailboxId source, Collection<Uid> uids, String destination) { throw new UnsupportedOperationException(); }
    @Override public CopyResult move(MailboxId source, Collection<Uid> uids, String destination) { throw new UnsupportedOperationException(); }
    @Override public StoreFlagsResult storeFlags(MailboxId m, Collection<Uid> u, FlagOp op, Flags f, OptionalLong s) { throw new UnsupportedOperationException(); }
    @Override public ExpungeResult expunge(MailboxId mailbox, Collection<Uid> uids) { throw new UnsupportedOperationException(); }
    @Override public MailboxView view(MailboxId mailbox) { throw new UnsupportedOperationException(); }
    @Override public Optional<MessageRecord> message(MailboxId mailbox, Uid uid) { throw new UnsupportedOperationException(); }
    @Override public List<MessageRecord> messages(MailboxId mailbox, Collection<Uid> uids) { throw new UnsupportedOperationException(); }
    @Override public ParsedMessage parsed(BodyId body) { throw new UnsupportedOperationException(); }
    @Override public InputStream openBody(BodyId body) { throw new UnsupportedOperationException(); }
    @Override public List<Tombstone> expungedSince(MailboxId mailbox, long modSeq) { throw new UnsupportedOperationException(); }
    @Override public long claimRecent(MailboxId mailbox, long uidLimit) { throw new UnsupportedOperationException(); }
    @Override public long firstUnclaimedRecent(MailboxId mailbox) { throw new UnsupportedOperationException(); }
    @Override public Set<String> subscriptions() { throw new UnsupportedOperationException(); }
    @Override public void subscribe(String name) { throw new UnsupportedOperationException(); }
    @Override public void unsubscribe(String name) { throw new UnsupportedOperationException(); }
    @Override public List<AclEntry> acl(String mailbox) { throw new UnsupportedOperationException(); }
    @Override public void setAcl(String mailbox, String identifier, String rights) { throw new UnsupportedOperationException(); }
    @Override public QuotaUsage quota() { throw new UnsupportedOperationException(); }
    @Override public long highestModSeq() { throw new UnsupportedOperationException(); }
}
