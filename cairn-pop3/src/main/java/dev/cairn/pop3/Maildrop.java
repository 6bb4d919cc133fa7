// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.util.ArrayList;
import java.util.List;

/**
 * The INBOX as one POP3 session sees it: fixed at login (RFC 1939 §8: message numbers and sizes
 * do not change during a session), with deletion marks that become an expunge at QUIT.
 */
final class Maildrop {
    final MailboxInfo inbox;
    private final Uid[] uids;
    private final long[] sizes;
    private final BodyId[] bodies;
    private final boolean[] deleted;
    private final boolean[] retrieved;

    private Maildrop(MailboxInfo inbox, List<MessageRecord> records) {
        this.inbox = inbox;
        int n = records.size();
        uids = new Uid[n];
        sizes = new long[n];
        bodies = new BodyId[n];
        deleted = new boolean[n];
        retrieved = new boolean[n];
        for (int i = 0; i < n; i++) {
            MessageRecord r = records.get(i);
            uids[i] = r.uid();
            sizes[i] = r.size();
            bodies[i] = r.body();
        }
    }

    static Maildrop load(UserStore store) {
        MailboxInfo inbox = store.mailbox("INBOX").orElseThrow(() ->
                new dev.cairn.store.StoreException(dev.cairn.store.StoreException.Reason.NONEXISTENT, "no INBOX"));
        MailboxSnapshot snapshot = store.view(inbox.id()).snapshot();
        List<Uid> uids = new ArrayList<>(snapshot.size());
        for (int i = 0; i < snapshot.size(); i++) uids.add(snapshot.uid(i));
        // A message expunged between the snapshot and this read is simply not in the maildrop.
        return new Maildrop(snapshot.info(), store.messages(inbox.id(), uids));
    }

    int count() { return uids.length; }

    /** Whether message number {@code n} (1-based) exists and is not marked deleted. */
    boolean visible(int n) { return n >= 1 && n <= uids.length && !deleted[n - 1]; }

    boolean exists(int n) { return n >= 1 && n <= uids.length; }

    boolean isDeleted(int n) { return deleted[n - 1]; }

    long size(int n) { return sizes[n - 1]; }

    Uid uid(int n) { return uids[n - 1]; }

    BodyId body(int n) { return bodies[n - 1]; }

    /**
     * The unique-id listing (RFC 1939 §7): UID and UIDVALIDITY in hex, as Dovecot's default
     * pop3_uidl_format "%08Xu%08Xv", so it never changes for the life of the message and
     * survives a migration from Dovecot that kept UIDs.
     */
    String uidl(int n) { return String.format("%08X%08X", uids[n - 1].value(), inbox.uidValidity()); }

    void delete(int n) { deleted[n - 1] = true; }

    void markRetrieved(int n) { retrieved[n - 1] = true; }

    void undeleteAll() { java.util.Arrays.fill(deleted, false); }

    int visibleCount() {
        int c = 0;
        for (boolean d : deleted) if (!d) c++;
        return c;
    }

    long visibleSize() {
        long s = 0;
        for (int i = 0; i < sizes.length; i++) if (!deleted[i]) s += sizes[i];
        return s;
    }

    List<Uid> deletedUids() {
        List<Uid> out = new ArrayList<>();
        for (int i = 0; i < uids.length; i++) if (deleted[i]) out.add(uids[i]);
        return out;
    }

    /** Retrieved and kept: they get \Seen at QUIT, as IMAP users expect after a POP3 download. */
    List<Uid> retrievedKeptUids() {
        List<Uid> out = new ArrayList<>();
        for (int i = 0; i < uids.length; i++) if (retrieved[i] && !deleted[i]) out.add(uids[i]);
        return out;
    }
}
