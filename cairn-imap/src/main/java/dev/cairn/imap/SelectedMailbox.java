// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.syntax.ResponseWriter;
import dev.cairn.imap.syntax.SequenceSet;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MailboxView;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * A session's selected mailbox: its own message sequence numbers (MSN i is {@code uids[i-1]}),
 * which change only when this session tells its client (EXISTS, EXPUNGE, VANISHED), and the
 * changes committed by others that it has not told yet (RFC 9051 §7.5.1). Used only by the
 * session's thread, except {@link #changed} which the store calls.
 */
final class SelectedMailbox implements MailboxChange.Listener {
    /** A change, tagged with the selection it belongs to (a late one from an old selection is dropped). */
    record Event(SelectedMailbox source, MailboxChange change) {}

    final MailboxId id;
    final boolean readOnly;
    final long uidValidity;
    String name;
    private final java.util.concurrent.BlockingQueue<Object> events;
    MailboxView view;
    MailboxView.Attachment attachment;
    private long[] uids = new long[0];
    private int count;
    /** Expunged by others, not yet told: still have their MSN (RFC 9051 §7.5.1). */
    final TreeSet<Long> pendingExpunges = new TreeSet<>();
    /** The MODSEQ of the oldest expunge in {@link #pendingExpunges} (meaningless while it is empty). */
    long pendingExpungeModSeq;
    /** The highest MODSEQ of any change applied to this session's state. */
    long seenModSeq;
    /** The keywords FLAGS has named to the client (RFC 9051 §7.3.5); never fewer. */
    private final TreeSet<String> announcedKeywords = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    /** The flags last found all announced: the messages of a mailbox share a few Flags objects. */
    private Flags announcedFlags;
    /**
     * \Recent (RFC 3501 §2.3.2) for an IMAP4rev1 session: the UIDs recent here, as ascending,
     * disjoint [from, to) pairs (a session claims runs of new UIDs, so there are few).
     */
    private long[] recent = new long[0];
    private boolean tracksRecent;
    /** The EXISTS count the client was last told. */
    int reportedExists;
    boolean deleted;

    SelectedMailbox(MailboxId id, String name, boolean readOnly, long uidValidity, java.util.concurrent.BlockingQueue<Object> events) {
        this.id = id;
        this.name = name;
        this.readOnly = readOnly;
        this.uidValidity = uidValidity;
        this.events = events;
    }

    void start(MailboxView view, MailboxView.Attachment attachment) {
        this.view = view;
        this.attachment = attachment;
        MailboxSnapshot s = attachment.snapshot();
        uids = new long[Math.max(16, s.size())];
        count = s.size();
        for (int i = 0; i < count; i++) uids[i] = s.uid(i).value();
        seenModSeq = s.info().highestModSeq();
        reportedExists = count;
        announcedKeywords.addAll(s.keywords());
    }

    /**
     * The HIGHESTMODSEQ this session may tell its client: every change up to it has been told. An
     * expunge it may not tell yet (RFC 9051 §7.5.1) holds it below that expunge's MODSEQ (RFC 7162
     * §3.2: a client that loses the connection then resynchronizes from before the expunge).
     */
    long toldModSeq() {
        return pendingExpunges.isEmpty() ? seenModSeq : Math.min(seenModSeq, pendingExpungeModSeq - 1);
    }

    // ---- keywords (RFC 9051 §7.3.5, §7.1 PERMANENTFLAGS) ----

    private static final String SYSTEM_FLAGS = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

    /** FLAGS, and PERMANENTFLAGS when asked: the system flags and every keyword told (none may be set in a read-only selection). */
    void writeFlags(ResponseWriter out, boolean permanentFlags) throws IOException {
        String keywords = announcedKeywords.isEmpty() ? "" : " " + String.join(" ", announcedKeywords);
        out.line("* FLAGS (" + SYSTEM_FLAGS + keywords + ")");
        if (permanentFlags) {
            out.line("* OK [PERMANENTFLAGS (" + (readOnly ? "" : SYSTEM_FLAGS + keywords + " \\*") + ")] Flags permitted");
        }
    }

    /**
     * Before a response that shows these flags: names the keywords among them the client has not
     * been told, with FLAGS (and PERMANENTFLAGS, which change with it unless read-only).
     */
    void announceKeywords(Flags flags, ResponseWriter out) throws IOException {
        if (flags == announcedFlags || flags.keywords().isEmpty()) return;
        boolean added = false;
        for (String k : flags.keywords()) added |= announcedKeywords.add(k);
        if (added) writeFlags(out, !readOnly);
        announcedFlags = flags;
    }

    /** A message's flag list as this session shows it: {@code \Recent} after the system flags when it is recent here. */
    String flagList(long uid, Flags flags) {
        List<String> names = flags.names();
        if (isRecent(uid)) {
            names = new ArrayList<>(names);
            names.add(Integer.bitCount(flags.system()), "\\Recent");
        }
        return "(" + String.join(" ", names) + ")";
    }

    // ---- \Recent (RFC 3501 §2.3.2; IMAP4rev2 has none) ----

    /** From now on this session shows \Recent; the UIDs from {@code from} to {@code to} (exclusive) are recent here. */
    void startRecent(long from, long to) {
        tracksRecent = true;
        addRecent(from, to);
    }

    /** IMAP4rev2 was enabled: no \Recent any more. */
    void stopRecent() {
        tracksRecent = false;
        recent = new long[0];
    }

    boolean tracksRecent() { return tracksRecent; }

    /** The UIDs from {@code from} to {@code to} (exclusive), all above the recent ones so far, are recent here. */
    void addRecent(long from, long to) {
        if (!tracksRecent || from >= to) return;
        int n = recent.length;
        if (n > 0 && recent[n - 1] == from) {
            recent[n - 1] = to;
        } else {
            recent = Arrays.copyOf(recent, n + 2);
            recent[n] = from;
            recent[n + 1] = to;
        }
    }

    boolean isRecent(long uid) {
        for (int i = recent.length - 2; i >= 0; i -= 2) {
            if (uid >= recent[i]) return uid < recent[i + 1];
        }
        return false;
    }

    /** How many of this session's messages are recent here (the RECENT response, RFC 3501 §7.3.2). */
    int recentCount() {
        int n = 0;
        for (int i = 0; i < recent.length; i += 2) n += indexAtOrAbove(recent[i + 1]) - indexAtOrAbove(recent[i]);
        return n;
    }

    private int indexAtOrAbove(long uid) {
        int i = Arrays.binarySearch(uids, 0, count, uid);
        return i >= 0 ? i : -i - 1;
    }

    /** Changes queued for a session that is not reading them (a stalled client): past this, it is ended. */
    static final int MAX_PENDING = 100_000;
    volatile boolean overflowed;

    @Override public void changed(MailboxChange change) {
        if (overflowed) return;
        if (events.size() >= MAX_PENDING) {
            overflowed = true; // memory stays bounded; the session says BYE at its next step
            return;
        }
        events.offer(new Event(this, change));
    }

    int count() { return count; }

    long uidAt(int msn) { return uids[msn - 1]; }

    /** The MSN of a UID, or 0 when this session has no such message. */
    int msnOf(long uid) {
        int i = Arrays.binarySearch(uids, 0, count, uid);
        return i >= 0 ? i + 1 : 0;
    }

    long maxUid() { return count == 0 ? 0 : uids[count - 1]; }

    void append(long uid) {
        if (count > 0 && uid <= uids[count - 1]) return; // already known (e.g. seen at attach)
        if (count == uids.length) uids = Arrays.copyOf(uids, Math.max(16, count * 2));
        uids[count++] = uid;
    }

    /** Removes a message; returns its MSN before removal, or 0. */
    int remove(long uid) {
        int msn = msnOf(uid);
        if (msn == 0) return 0;
        System.arraycopy(uids, msn, uids, msn - 1, count - msn);
        count--;
        return msn;
    }

    /** The UIDs named by a sequence set (MSNs, or UIDs when {@code uid}), ascending; only messages this session knows. */
    long[] resolve(SequenceSet set, boolean uid) {
        long[] out = new long[16];
        int n = 0;
        if (count == 0) return new long[0];
        if (uid) {
            long max = maxUid();
            long low = set.low(max), high = set.high(max);
            int from = Arrays.binarySearch(uids, 0, count, low);
            if (from < 0) from = -from - 1;
            for (int i = from; i < count && uids[i] <= high; i++) {
                if (set.contains(uids[i], max)) {
                    if (n == out.length) out = Arrays.copyOf(out, n * 2);
                    out[n++] = uids[i];
                }
            }
        } else {
            long low = Math.max(1, set.low(count)), high = Math.min(count, set.high(count));
            for (long msn = low; msn <= high; msn++) {
                if (set.contains(msn, count)) {
                    if (n == out.length) out = Arrays.copyOf(out, n * 2);
                    out[n++] = uids[(int) msn - 1];
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Whether every MSN of the set exists (RFC 9051 §6.4: an MSN beyond EXISTS is an error). */
    boolean validMsns(SequenceSet set) {
        return set.high(count) <= count && set.low(count) >= 1;
    }

    void close() {
        if (attachment != null) attachment.close();
        attachment = null;
    }
}
