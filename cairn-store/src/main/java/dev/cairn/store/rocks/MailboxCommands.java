// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.MailboxInfo;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.changelog.Change;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A user's commands on mailboxes and their metadata: create (with missing parents), delete,
 * rename (INBOX's special case of RFC 9051 §6.3.6 included), subscribe, unsubscribe, set an ACL.
 * Each validates and builds its change under the user's write lock ({@link UserState#write});
 * what the change does to the slot is the {@link ChangeApplier}'s.
 */
final class MailboxCommands {
    private final UserState user;
    private final RocksSlotStore slot;
    private final int id;

    MailboxCommands(UserState user) {
        this.user = user;
        this.slot = user.slot;
        this.id = user.id;
    }

    MailboxInfo createMailbox(String mailbox, Set<SpecialUse> specialUse) {
        String canonical = MailboxNames.canonical(mailbox);
        return user.write(t -> {
            if (t.byName(canonical) != null) throw new StoreException(Reason.ALREADY_EXISTS, "mailbox exists: " + canonical);
            createWithParents(t, canonical, specialUse);
            return t.byName(canonical).info();
        });
    }

    void createWithParents(Txn t, String canonical, Set<SpecialUse> specialUse) {
        String parent = MailboxNames.parent(canonical);
        if (parent != null && t.byName(parent) == null) createWithParents(t, parent, Set.of());
        create(t, canonical, specialUse);
    }

    MailboxMeta create(Txn t, String canonical, Set<SpecialUse> specialUse) {
        Change.MailboxCreated c = new Change.MailboxCreated(slot.newMailboxId(), canonical, slot.replication().nextUidValidity(t.header), specialUse);
        MailboxMeta m = slot.applier.createMailbox(t, c);
        t.add(c);
        return m;
    }

    void deleteMailbox(String mailbox) {
        String canonical = MailboxNames.canonical(mailbox);
        if (canonical.equals("INBOX")) throw new StoreException(Reason.CANNOT, "INBOX cannot be deleted");
        user.write(t -> {
            MailboxMeta m = t.byName(canonical);
            if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + canonical);
            // Children stay (RFC 9051 §6.3.5 allows it; they simply lose their parent).
            slot.applier.dropMailbox(t, m);
            t.add(new Change.MailboxDeleted(m.id, m.name));
            return null;
        });
    }

    void renameMailbox(String from, String to) {
        String src = MailboxNames.canonical(from), dst = MailboxNames.canonical(to);
        user.write(t -> {
            MailboxMeta m = t.byName(src);
            if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + src);
            if (t.byName(dst) != null) throw new StoreException(Reason.ALREADY_EXISTS, "mailbox exists: " + dst);
            if (src.equals("INBOX")) {
                // RFC 9051 §6.3.6: INBOX's messages move to a new mailbox; INBOX stays, empty; its children stay.
                String parent = MailboxNames.parent(dst);
                if (parent != null && t.byName(parent) == null) createWithParents(t, parent, Set.of());
                MailboxMeta target = create(t, dst, Set.of());
                long[] all = allUids(m);
                user.messageCommands.copyInto(t, m, all, target, true);
                return null;
            }
            if (dst.startsWith(src + "/")) throw new StoreException(Reason.CANNOT, "cannot rename a mailbox into itself");
            List<MailboxMeta> moving = new ArrayList<>();
            for (MailboxMeta c : t.before.byNum().values()) {
                if (c.name.equals(src) || c.name.startsWith(src + "/")) moving.add(c);
            }
            for (MailboxMeta c : moving) {
                String newName = dst + c.name.substring(src.length());
                MailboxNames.canonical(newName); // still valid (length, levels)?
                if (t.byName(newName) != null) throw new StoreException(Reason.ALREADY_EXISTS, "mailbox exists: " + newName);
            }
            for (MailboxMeta c : moving) {
                String oldName = c.name, newName = dst + c.name.substring(src.length());
                MailboxMeta w = t.mailbox(c);
                slot.applier.renameMailbox(t, w, newName);
                t.add(new Change.MailboxRenamed(c.id, oldName, newName));
            }
            String parent = MailboxNames.parent(dst);
            if (parent != null && t.byName(parent) == null) createWithParents(t, parent, Set.of());
            return null;
        });
    }

    private long[] allUids(MailboxMeta m) {
        List<Long> uids = new ArrayList<>();
        slot.scan(slot.index, Keys.mailboxPrefix(id, m.num), (k, v) -> uids.add(Keys.uidOf(k)));
        return uids.stream().mapToLong(Long::longValue).toArray();
    }

    void subscribe(String mailbox) {
        String canonical = MailboxNames.canonical(mailbox);
        user.write(t -> {
            if (t.before.subscriptions().contains(canonical)) return null;
            slot.applier.subscribe(t, canonical, true);
            t.add(new Change.Subscribed(canonical));
            return null;
        });
    }

    void unsubscribe(String mailbox) {
        String canonical = MailboxNames.canonical(mailbox);
        user.write(t -> {
            if (!t.before.subscriptions().contains(canonical)) return null;
            slot.applier.subscribe(t, canonical, false);
            t.add(new Change.Unsubscribed(canonical));
            return null;
        });
    }

    void setAcl(String mailbox, String identifier, String rights) {
        String canonical = MailboxNames.canonical(mailbox);
        if (identifier == null || identifier.isEmpty() || identifier.length() > 255 || identifier.chars().anyMatch(c -> c < 0x20)) {
            throw new StoreException(Reason.INVALID_ARGUMENT, "invalid ACL identifier");
        }
        if (rights == null || !rights.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
            throw new StoreException(Reason.INVALID_ARGUMENT, "invalid ACL rights: " + rights);
        }
        user.write(t -> {
            MailboxMeta m = t.byName(canonical);
            if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + canonical);
            slot.applier.setAcl(t, m, identifier, rights);
            t.add(new Change.AclSet(m.id, identifier, rights));
            return null;
        });
    }
}
