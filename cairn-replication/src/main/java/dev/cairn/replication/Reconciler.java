// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.BodyId;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Merges what a former master committed that never reached the new master (its records after
 * the common point), through the new master's ordinary write path, so everything it acknowledged
 * is kept: its new messages are appended again (new UIDs, UIDVALIDITY unchanged), its flag
 * changes and expunges replayed where the messages still exist, its new mailboxes created (a name
 * taken by a different mailbox gets the newcomer renamed, never merged), subscriptions and ACLs
 * replayed. Every action is one line of the report.
 */
final class Reconciler {
    private final SlotStore master;
    private final String from;
    private final List<String> report = new ArrayList<>();
    /** The former master's mailbox ids to the new master's. */
    private final Map<MailboxId, MailboxId> mailboxes = new HashMap<>();
    /** (former mailbox id, former UID) of messages appended in the tail to their new UID. */
    private final Map<MailboxId, Map<Long, Long>> uids = new HashMap<>();

    Reconciler(SlotStore master, String from) {
        this.master = master;
        this.from = from;
    }

    /**
     * The replica's side: this slot's records of the user after the master's common point, with
     * the bodies they add (those still here), about half a frame at most.
     */
    static Frame.Diverged diverged(SlotStore slot, Frame.Reconcile rc, int maxFrame) {
        List<byte[]> records = new ArrayList<>();
        List<Frame.Body> bodies = new ArrayList<>();
        Set<BodyId> seen = new java.util.HashSet<>();
        long budget = maxFrame / 2;
        if (slot.hasUser(rc.user())) {
            for (ChangeRecord rec : slot.changeLog().read(rc.user(), rc.fromSeq() + 1, Integer.MAX_VALUE)) {
                byte[] b = dev.cairn.store.changelog.ChangeCodec.encode(rec);
                budget -= b.length;
                records.add(b);
                for (Change ch : rec.changes()) {
                    if (!(ch instanceof Change.MessagesAppended a)) continue;
                    for (var m : a.messages()) {
                        if (!seen.add(m.body()) || !slot.replication().hasBody(m.body())) continue;
                        try (java.io.InputStream in = slot.user(rc.user()).openBody(m.body())) {
                            byte[] body = in.readAllBytes();
                            budget -= body.length;
                            bodies.add(new Frame.Body(m.body(), body));
                        } catch (java.io.IOException | StoreException e) {
                            // gone: reported by the master as not mergeable
                        }
                    }
                }
                if (budget < 0) {
                    org.slf4j.LoggerFactory.getLogger(ReplicaService.class)
                            .warn("replication: {}'s diverged changes exceed a frame; the rest are not merged", rc.user());
                    break;
                }
            }
        }
        return new Frame.Diverged(rc.user(), records, bodies);
    }

    List<String> merge(String user, List<ChangeRecord> tail, Map<BodyId, byte[]> bodies) {
        boolean createdInTail = tail.stream().flatMap(r -> r.changes().stream()).anyMatch(c -> c instanceof Change.UserCreated);
        if (!master.hasUser(user) && !createdInTail && tail.isEmpty()) return report;
        UserStore u = master.openOrCreateUser(user);
        for (ChangeRecord r : tail) {
            for (Change c : r.changes()) {
                try {
                    apply(u, c, bodies, createdInTail);
                } catch (StoreException e) {
                    line(user, "could not replay " + c.getClass().getSimpleName() + " of seq " + r.seq() + ": " + e.getMessage());
                }
            }
        }
        return report;
    }

    private void line(String user, String what) { report.add(user + ": " + what + " (from " + from + ")"); }

    private MailboxInfo mailbox(UserStore u, MailboxId formerId) {
        MailboxId id = mailboxes.getOrDefault(formerId, formerId);
        return u.mailbox(id).orElse(null);
    }

    private void apply(UserStore u, Change c, Map<BodyId, byte[]> bodies, boolean createdInTail) {
        String user = u.user();
        switch (c) {
            case Change.UserCreated x -> { }
            case Change.UserDeleted x -> line(user, "the former master deleted the user; not replayed");
            case Change.MailboxCreated m -> {
                if (u.mailbox(m.id()).isPresent()) return;
                MailboxInfo same = u.mailbox(m.name()).orElse(null);
                if (same != null) {
                    if (createdInTail) {
                        mailboxes.put(m.id(), same.id()); // both sides created the user's default folders
                        return;
                    }
                    String name = freeName(u, m.name() + " (from " + from + ")");
                    MailboxInfo made = u.createMailbox(name, m.specialUse().isEmpty() ? Set.of() : Set.of());
                    mailboxes.put(m.id(), made.id());
                    line(user, "mailbox " + m.name() + " was created on both sides with different identities; "
                            + "the former master's is kept as \"" + name + "\"");
                    return;
                }
                MailboxInfo made;
                try {
                    made = u.createMailbox(m.name(), m.specialUse());
                } catch (StoreException e) {
                    if (e.reason() != StoreException.Reason.ALREADY_EXISTS) throw e;
                    // Created here meanwhile: a different mailbox under the same name.
                    String name = freeName(u, m.name() + " (from " + from + ")");
                    made = u.createMailbox(name, Set.of());
                    mailboxes.put(m.id(), made.id());
                    line(user, "mailbox " + m.name() + " was created on both sides with different identities; "
                            + "the former master's is kept as \"" + name + "\"");
                    return;
                }
                mailboxes.put(m.id(), made.id());
                line(user, "created mailbox " + m.name());
            }
            case Change.MailboxRenamed m -> {
                MailboxInfo box = mailbox(u, m.id());
                if (box == null || u.mailbox(m.newName()).isPresent()) {
                    line(user, "rename of " + m.oldName() + " to " + m.newName() + " no longer applies");
                    return;
                }
                u.renameMailbox(box.name(), m.newName());
                line(user, "renamed mailbox " + box.name() + " to " + m.newName());
            }
            case Change.MailboxDeleted m -> {
                MailboxInfo box = mailbox(u, m.id());
                if (box == null) return;
                // Deleting would also remove what arrived on the new master since: keep it, say so.
                line(user, "the former master deleted mailbox " + box.name() + "; kept (delete it again if wanted)");
            }
            case Change.MessagesAppended a -> {
                MailboxInfo box = mailbox(u, a.mailbox());
                if (box == null) {
                    box = u.mailbox("INBOX").orElseThrow();
                    line(user, a.messages().size() + " message(s) of a mailbox that no longer exists go to INBOX");
                }
                // The former master's UIDs for them never existed here: they read as expunged (RFC 7162
                // VANISHED). Before the appends, so that these get UIDs above them also where the former
                // master went past this one's UIDNEXT (an unclean promotion).
                List<Long> vanished = new ArrayList<>();
                for (Change.AppendedMessage m : a.messages()) {
                    if (box.id().equals(a.mailbox()) && u.message(box.id(), Uid.of(m.uid())).isEmpty()) vanished.add(m.uid());
                }
                if (!vanished.isEmpty()) {
                    master.replication().vanish(user, box.id(), vanished);
                }
                for (Change.AppendedMessage m : a.messages()) {
                    byte[] bytes = bodies.get(m.body());
                    if (bytes == null) {
                        line(user, "message " + m.uid() + " of " + box.name() + " could not be merged: its body is gone");
                        continue;
                    }
                    if (alreadyThere(u, box, m)) continue;
                    AppendResult r = u.append(box.name(), List.of(new NewMessage(BodySource.of(bytes), m.flags(), m.internalDate())));
                    uids.computeIfAbsent(a.mailbox(), k -> new HashMap<>()).put(m.uid(), r.uids().getFirst().value());
                    line(user, "appended message " + m.uid() + " to " + box.name() + " again as UID " + r.uids().getFirst().value());
                }
            }
            case Change.FlagsSet f -> {
                MailboxInfo box = mailbox(u, f.mailbox());
                if (box == null) return;
                for (Change.FlagState st : f.messages()) {
                    long uid = uids.getOrDefault(f.mailbox(), Map.of()).getOrDefault(st.uid(), st.uid());
                    if (u.message(box.id(), Uid.of(uid)).isEmpty()) continue;
                    u.storeFlags(box.id(), List.of(Uid.of(uid)), FlagOp.REPLACE, st.flags(), OptionalLong.empty());
                }
                line(user, "replayed flag changes of " + f.messages().size() + " message(s) in " + box.name());
            }
            case Change.MessagesExpunged e -> {
                MailboxInfo box = mailbox(u, e.mailbox());
                if (box == null) return;
                List<Uid> gone = new ArrayList<>();
                for (long uid : e.uids()) gone.add(Uid.of(uids.getOrDefault(e.mailbox(), Map.of()).getOrDefault(uid, uid)));
                int n = u.expunge(box.id(), gone).expunged().size();
                if (n > 0) line(user, "replayed the expunge of " + n + " message(s) in " + box.name());
            }
            case Change.Subscribed s -> u.subscribe(s.name());
            case Change.Unsubscribed s -> u.unsubscribe(s.name());
            case Change.AclSet a -> {
                MailboxInfo box = mailbox(u, a.mailbox());
                if (box != null) u.setAcl(box.name(), a.identifier(), a.rights());
            }
            case Change.UidNextRaised r -> { } // its own promotion's UID skip: the new master reserves its own UIDs
            case Change.AccountSet a -> {
                // The store's account wins when it has one (it may be newer than the former master's);
                // one the new master never got is set, unless another account holds its address.
                if (master.account(user).isPresent()) {
                    line(user, "the former master changed the account; the one here is kept (change it again with `cairn user` if needed)");
                    return;
                }
                try {
                    master.setAccount(user, a.account());
                    line(user, "set the account");
                } catch (StoreException e) {
                    if (e.reason() != StoreException.Reason.ALREADY_EXISTS) throw e;
                    line(user, "the account was not set: " + e.getMessage());
                }
            }
            case Change.AccountRemoved x -> {
                if (master.account(user).isPresent()) line(user, "the former master removed the account; kept (remove it again if wanted)");
            }
            case Change.UidValidityChanged v -> {
                // Its UIDs after the change were above the window the new master jumped past: its
                // messages are appended again here like the others; the new master's UIDVALIDITY stays.
                MailboxInfo box = mailbox(u, v.mailbox());
                if (box != null) line(user, "the former master gave " + box.name() + " a new UIDVALIDITY while no replica had it; not replayed");
            }
        }
    }

    /** The same content with the same date is in the mailbox already (merged before, from another replica). */
    private static boolean alreadyThere(UserStore u, MailboxInfo box, Change.AppendedMessage m) {
        if (box.messages() > 10_000) return false;
        List<Uid> all = new ArrayList<>();
        for (long i = Math.max(1, box.uidNext() - 10_000); i < box.uidNext(); i++) all.add(Uid.of(i));
        for (MessageRecord r : u.messages(box.id(), all)) {
            if (r.body().equals(m.body()) && r.internalDate().equals(m.internalDate())) return true;
        }
        return false;
    }

    private static String freeName(UserStore u, String name) {
        String candidate = name;
        for (int i = 2; u.mailbox(candidate).isPresent(); i++) candidate = name + " " + i;
        return candidate;
    }

    static Flags none() { return Flags.NONE; }
}
