// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/**
 * Everything a client can see of a user, as text (folders with uniqueid, UIDVALIDITY,
 * HIGHESTMODSEQ, counts, ACLs; per UID the flags, MODSEQ, size, dates and a hash of the body;
 * subscriptions; remembered expunges): two slots of a store converged when their digests are
 * equal. `cairn replica verify` compares the master's with each replica's.
 */
public final class Digest {
    private Digest() {}

    public static String of(SlotStore slot) {
        StringBuilder b = new StringBuilder();
        for (String user : new TreeSet<>(slot.users())) b.append(of(slot, user));
        return b.toString();
    }

    public static String of(SlotStore slot, String user) {
        if (!slot.hasUser(user)) return "user " + user + " (none)\n";
        UserStore u = slot.user(user);
        StringBuilder b = new StringBuilder("user ").append(user).append('\n');
        b.append(" subscriptions ").append(new TreeSet<>(u.subscriptions())).append('\n');
        for (MailboxInfo m : u.mailboxes()) {
            b.append(' ').append(m.name()).append(" id=").append(m.id()).append(" uidvalidity=").append(m.uidValidity())
                    .append(" highestmodseq=").append(m.highestModSeq()).append(" messages=").append(m.messages())
                    .append(" unseen=").append(m.unseen()).append(" deleted=").append(m.deleted()).append(" size=").append(m.size())
                    .append(" special=").append(new TreeSet<>(m.specialUse())).append(" acl=").append(u.acl(m.name())).append('\n');
            List<Uid> uids = new ArrayList<>();
            for (long i = 1; i < m.uidNext(); i++) uids.add(Uid.of(i));
            for (int from = 0; from < uids.size(); from += 5000) {
                for (MessageRecord r : u.messages(m.id(), uids.subList(from, Math.min(uids.size(), from + 5000)))) {
                    b.append("  ").append(r.uid()).append(" modseq=").append(r.modSeq()).append(" flags=").append(r.flags())
                            .append(" size=").append(r.size()).append(" internal=").append(r.internalDate())
                            .append(" thread=").append(r.threadId()).append(" sha=").append(hash(u, r)).append('\n');
                }
            }
            b.append("  vanished ").append(u.expungedSince(m.id(), 0).size()).append('\n');
        }
        return b.toString();
    }

    private static String hash(UserStore u, MessageRecord r) {
        try (InputStream in = u.openBody(r.body())) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (Exception e) {
            return "unreadable";
        }
    }
}
