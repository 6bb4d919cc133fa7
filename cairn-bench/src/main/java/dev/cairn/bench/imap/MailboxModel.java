// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import static dev.cairn.bench.imap.ResponseValues.name;
import static dev.cairn.bench.imap.ResponseValues.normalize;
import static dev.cairn.bench.imap.ResponseValues.parseUid;
import static dev.cairn.bench.imap.ResponseValues.withoutRecent;

import dev.cairn.bench.Errors;
import dev.cairn.imap.client.ImapResponse;
import dev.cairn.imap.client.ImapResponse.Value;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The selected mailbox as one session has been told it, and the checks every untagged response
 * must pass against it (RFC 9051 sections 7.4 and 2.3.1): EXISTS never goes back without
 * EXPUNGE, no sequence number beyond EXISTS, a message keeps its UID, UIDs ascend with sequence
 * numbers and are never reused, every keyword a FETCH shows was named by FLAGS before (RFC 9051
 * section 7.3.5), and a message's MODSEQ never goes down and one MODSEQ never comes with two
 * flag sets (RFC 7162 section 3.1). What a command's answer must contain is
 * {@link ImapSession}'s to check.
 */
final class MailboxModel {

    private final Errors errors;
    private final String user;

    private boolean selected;
    private long uidValidity;
    private long[] uids = new long[64];
    private int exists;
    private final Set<Long> expunged = new HashSet<>();
    private final Map<Long, Set<String>> flags = new HashMap<>();
    /** Keywords the last FLAGS response named (lower case). */
    private final Set<String> announced = new HashSet<>();
    /** The highest MODSEQ told of each UID, and the flags told with it. */
    private final Map<Long, Long> modSeqs = new HashMap<>();
    private final Map<Long, Set<String>> flagsAtModSeq = new HashMap<>();

    MailboxModel(Errors errors, String user) {
        this.errors = errors;
        this.user = user;
    }

    /** A SELECT was sent: nothing told before it counts (the UIDVALIDITY stays to compare with). */
    void deselect() {
        selected = false;
        exists = 0;
        expunged.clear();
        flags.clear();
        announced.clear();
        modSeqs.clear();
        flagsAtModSeq.clear();
    }

    /** The SELECT succeeded: from now on untagged responses describe this mailbox. */
    void select() {
        selected = true;
    }

    boolean selected() {
        return selected;
    }

    int exists() {
        return exists;
    }

    long uidValidity() {
        return uidValidity;
    }

    void uidValidity(long value) {
        uidValidity = value;
    }

    /** The UID at a 0-based position, 0 when not yet told. */
    long uidAt(int index) {
        return uids[index];
    }

    boolean expunged(long uid) {
        return expunged.contains(uid);
    }

    /** The flags last told of a message (lower case), or an empty set. */
    Set<String> flags(long uid) {
        return flags.getOrDefault(uid, Set.of());
    }

    /** A copy of every message's last told flags, to compare with after a command. */
    Map<Long, Set<String>> flagsNow() {
        return new HashMap<>(flags);
    }

    /** Flags told of a message as of now, or null when none were. */
    Set<String> toldFlags(long uid) {
        return flags.get(uid);
    }

    /** Applies one untagged response to the model, reporting what breaks RFC 9051 section 7.4. */
    void apply(ImapResponse response) {
        switch (response) {
            case ImapResponse.Exists(long count) -> exists(count);
            case ImapResponse.Expunge(long sequence) -> expunge(sequence);
            case ImapResponse.Fetch fetch -> fetch(fetch);
            case ImapResponse.Data(var number, var keyword, var values) when keyword.equals("FLAGS") && number == null -> {
                announced.clear();
                if (!values.isEmpty() && values.getFirst() instanceof Value.Parens(List<Value> items)) {
                    for (Value flag : items) {
                        announced.add(normalize(name(flag)));
                    }
                }
            }
            default -> { }
        }
    }

    private void exists(long count) {
        if (!selected) {
            return;
        }
        if (count < exists) {
            errors.report("exists-backwards", user + ": EXISTS " + count + " after " + exists + " without EXPUNGE");
            exists = (int) count;
            return;
        }
        if (count > Integer.MAX_VALUE - 8) {
            errors.report("exists-absurd", user + ": EXISTS " + count);
            return;
        }
        if (count > uids.length) {
            uids = Arrays.copyOf(uids, (int) Math.max(count, uids.length * 2L));
        }
        Arrays.fill(uids, exists, (int) count, 0);
        exists = (int) count;
    }

    private void expunge(long sequence) {
        if (!selected) {
            return;
        }
        if (sequence > exists) {
            errors.report("expunge-beyond-exists", user + ": EXPUNGE " + sequence + " with EXISTS " + exists);
            return;
        }
        int index = (int) sequence - 1;
        long uid = uids[index];
        if (uid != 0) {
            expunged.add(uid);
            flags.remove(uid);
            modSeqs.remove(uid);
            flagsAtModSeq.remove(uid);
        }
        System.arraycopy(uids, index + 1, uids, index, exists - index - 1);
        exists--;
    }

    private void fetch(ImapResponse.Fetch fetch) {
        if (!selected) {
            return;
        }
        if (fetch.sequence() > exists) {
            errors.report("fetch-beyond-exists", user + ": FETCH for sequence " + fetch.sequence() + " with EXISTS " + exists);
            return;
        }
        int index = (int) fetch.sequence() - 1;
        if (fetch.uid() != null) {
            checkUid(index, fetch);
            uids[index] = fetch.uid();
        }
        long uid = uids[index];
        Set<String> told = fetch.flags() == null ? null : normalize(fetch.flags());
        if (told != null) {
            for (String flag : told) {
                if (!flag.startsWith("\\") && !announced.contains(flag)) {
                    errors.report("keyword-not-announced", user + ": " + fetch + " uses " + flag
                        + ", which no FLAGS response named (RFC 9051 section 7.3.5)");
                }
            }
        }
        if (told != null && uid != 0) {
            flags.put(uid, told);
        }
        if (uid != 0 && fetch.other().get("MODSEQ") instanceof Value.Parens(List<Value> items) && items.size() == 1) {
            checkModSeq(uid, parseUid(items.getFirst()), told, fetch);
        }
    }

    /** A UID told at a sequence number: the same as before there, or new, unused and between its neighbours'. */
    private void checkUid(int index, ImapResponse.Fetch fetch) {
        long uid = fetch.uid();
        long known = uids[index];
        if (known != 0 && known != uid) {
            errors.report("uid-changed", user + ": sequence " + fetch.sequence() + " was UID " + known + ", now UID " + uid);
        } else if (known == 0) {
            if (expunged.contains(uid)) {
                errors.report("uid-reused", user + ": UID " + uid + " was expunged and is back at sequence " + fetch.sequence());
            }
            long below = 0;
            for (int i = index - 1; i >= 0 && below == 0; i--) {
                below = uids[i];
            }
            long above = 0;
            for (int i = index + 1; i < exists && above == 0; i++) {
                above = uids[i];
            }
            if (uid <= below || (above != 0 && uid >= above)) {
                errors.report("uid-order", user + ": UID " + uid + " at sequence " + fetch.sequence()
                    + " is not between its neighbours' UIDs " + below + " and " + (above == 0 ? "-" : above));
            }
        }
    }

    /** RFC 7162 section 3.1: a message's MODSEQ only grows, and one MODSEQ is one state of its flags. */
    private void checkModSeq(long uid, long modSeq, Set<String> told, ImapResponse.Fetch fetch) {
        Long before = modSeqs.get(uid);
        if (before != null && modSeq < before) {
            errors.report("modseq-backwards", user + ": UID " + uid + " told MODSEQ " + modSeq + " after " + before + ": " + fetch);
            return;
        }
        Set<String> then = flagsAtModSeq.get(uid);
        if (before != null && modSeq == before && told != null && then != null
                && !withoutRecent(told).equals(withoutRecent(then))) {
            errors.report("modseq-flags-mismatch", user + ": UID " + uid + " MODSEQ " + modSeq + " told with "
                + then + " and now with " + told);
        }
        modSeqs.put(uid, modSeq);
        if (told != null) {
            flagsAtModSeq.put(uid, told);
        } else if (before == null || modSeq > before) {
            flagsAtModSeq.remove(uid);
        }
    }

    /** The UID a FETCH is about: its own, or the one known at its sequence number (0 if none). */
    long uidOf(ImapResponse.Fetch fetch) {
        if (fetch.uid() != null) {
            return fetch.uid();
        }
        return fetch.sequence() <= exists ? uids[(int) fetch.sequence() - 1] : 0;
    }

    /** A known UID at a random position, or 0 when none is known. */
    long randomUid(SplittableRandom random) {
        if (exists == 0) {
            return 0;
        }
        int start = random.nextInt(exists);
        for (int i = 0; i < exists; i++) {
            long uid = uids[(start + i) % exists];
            if (uid != 0) {
                return uid;
            }
        }
        return 0;
    }

    /** The highest UID this session was told of, expunged ones included. */
    long highestUid() {
        long highest = 0;
        for (int i = 0; i < exists; i++) {
            highest = Math.max(highest, uids[i]);
        }
        for (long uid : expunged) {
            highest = Math.max(highest, uid);
        }
        return highest;
    }
}
