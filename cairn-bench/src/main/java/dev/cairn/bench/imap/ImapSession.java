// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import dev.cairn.bench.Corpus;
import dev.cairn.bench.Endpoint;
import dev.cairn.bench.Errors;
import dev.cairn.bench.MessagePool;
import dev.cairn.bench.Recorder;
import dev.cairn.bench.imap.ImapConnection.Result;
import dev.cairn.bench.imap.ImapResponse.Value;
import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One logged-in client of the IMAP load: runs the operations of the mix against INBOX and
 * checks every response against a model of the mailbox as this session has been told it
 * (RFC 9051 sections 7.4 and 2.3.1): EXISTS never goes back without EXPUNGE, no sequence
 * number beyond EXISTS, a message keeps its UID, UIDs ascend with sequence numbers and are
 * never reused, APPENDUID is above every UID confirmed before, flags set by STORE are
 * reported, a body fetched back is the one appended, every keyword a FETCH shows was named by
 * FLAGS before (RFC 9051 section 7.3.5), and, where the server offers CONDSTORE (the session
 * selects with it), a message's MODSEQ never goes down and one MODSEQ never comes with two flag
 * sets (RFC 7162 section 3.1).
 *
 * <p>Checks that only hold when no other session changes the mailbox (STORE must report
 * the flag, a fetched message must come back, flags stay as this session left them) run
 * only while this is the user's only session ({@link UserState#alone}).
 */
final class ImapSession implements Closeable {

    static final String MAILBOX = "INBOX";
    private static final String[] STORE_FLAGS = {"\\Seen", "\\Flagged", "\\Answered", "$Forwarded", "$Label1", "$Label2"};

    private final ImapConnection connection;
    private final UserState user;
    private final long login;
    private final MessagePool pool;
    private final Recorder recorder;
    private final Errors errors;
    private final SplittableRandom random;
    private boolean loggedIn;
    private boolean loggingOut;

    // The mailbox as this session has been told it.
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

    private ImapSession(ImapConnection connection, UserState user, long login, MessagePool pool, Recorder recorder,
            Errors errors, SplittableRandom random) {
        this.connection = connection;
        this.user = user;
        this.login = login;
        this.pool = pool;
        this.recorder = recorder;
        this.errors = errors;
        this.random = random;
    }

    /** Connects, logs in (one "login" operation: connection, greeting and LOGIN), and returns the session. */
    static ImapSession login(Endpoint endpoint, UserState user, String password, MessagePool pool, Recorder recorder,
            Errors errors, SplittableRandom random) throws IOException {
        long start = System.nanoTime();
        ImapConnection connection = ImapConnection.open(endpoint);
        ImapSession session = null;
        try {
            Result result = connection.execute("LOGIN " + ImapConnection.quote(user.name) + " " + ImapConnection.quote(password));
            recorder.record("login", start);
            if (!result.ok()) {
                errors.report("failed-login", user.name + ": " + result.tagged().status() + " " + result.tagged().text());
                connection.close();
                return null;
            }
            if (!connection.has("IMAP4rev1") && !connection.has("IMAP4rev2")) {
                connection.execute("CAPABILITY");
            }
            session = new ImapSession(connection, user, user.enter(), pool, recorder, errors, random);
            session.loggedIn = true;
            return session;
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    int exists() {
        return exists;
    }

    boolean selected() {
        return selected;
    }

    private boolean alone() {
        return login > 0 && user.alone(login);
    }

    // ---- operations of the mix ----

    /** SELECT INBOX, then UID FETCH 1:* (FLAGS) to learn every UID, as a client does when it opens a mailbox. */
    void select() throws IOException {
        long confirmed = user.highestConfirmedUid();
        long start = System.nanoTime();
        Result result = connection.execute("SELECT " + MAILBOX + (connection.has("CONDSTORE") ? " (CONDSTORE)" : ""));
        recorder.record("select", start);
        selected = false;
        exists = 0;
        expunged.clear();
        flags.clear();
        announced.clear();
        modSeqs.clear();
        flagsAtModSeq.clear();
        if (!succeeded("select", result)) {
            return;
        }
        selected = true;
        long uidNext = -1;
        long validity = -1;
        for (ImapResponse response : result.untagged()) {
            if (response instanceof ImapResponse.Condition(var status, var code, var text) && code != null) {
                switch (code.name()) {
                    case "UIDVALIDITY" -> validity = code.number(0);
                    case "UIDNEXT" -> uidNext = code.number(0);
                    default -> { }
                }
            }
            apply(response);
        }
        if (validity <= 0) {
            errors.report("select-without-uidvalidity", user.name);
        } else {
            uidValidity = validity;
            long before = user.noteUidValidity(validity);
            if (before != 0) {
                errors.report("uidvalidity-changed", user.name + ": " + before + " -> " + validity);
            }
        }
        if (uidNext > 0 && uidNext <= confirmed) {
            errors.report("uidnext-not-above-known-uid",
                user.name + ": UIDNEXT " + uidNext + " but UID " + confirmed + " was already confirmed by APPENDUID");
        }
        int selectedExists = exists;
        fetchFlags();
        if (uidNext > 0 && alone()) {
            for (int i = 0; i < Math.min(selectedExists, exists); i++) {
                if (uids[i] >= uidNext) {
                    errors.report("uid-not-below-uidnext", user.name + ": UID " + uids[i] + " at sequence " + (i + 1)
                        + " but SELECT said UIDNEXT " + uidNext);
                    break;
                }
            }
        }
    }

    /** UID FETCH 1:* (FLAGS); when alone, every flag must be as this session last saw it. */
    void fetchFlags() throws IOException {
        boolean wasAlone = alone();
        Map<Long, Set<String>> before = wasAlone ? new HashMap<>(flags) : Map.of();
        Set<Long> fetched = new HashSet<>();
        long start = System.nanoTime();
        Result result = connection.execute("UID FETCH 1:* (FLAGS)");
        recorder.record("fetch-flags", start);
        for (ImapResponse response : result.untagged()) {
            apply(response);
            if (response instanceof ImapResponse.Fetch fetch && fetch.flags() != null) {
                fetched.add(uidOf(fetch));
            }
        }
        if (!succeeded("fetch-flags", result) || !wasAlone || !alone()) {
            return;
        }
        for (int i = 0; i < exists; i++) {
            if (uids[i] != 0 && !fetched.contains(uids[i])) {
                errors.report("fetch-missing", user.name + ": UID FETCH 1:* returned nothing for UID " + uids[i]);
            }
        }
        before.forEach((uid, old) -> {
            Set<String> now = flags.get(uid);
            if (now != null && !withoutRecent(now).equals(withoutRecent(old))) {
                errors.report("flags-changed", user.name + ": UID " + uid + " had " + old + ", now " + now
                    + " with no other session logged in");
            }
        });
    }

    /** UID FETCH of one message's size and full body, which must be the bytes appended. */
    void fetchBody() throws IOException {
        long uid = randomUid();
        if (uid == 0) {
            return;
        }
        boolean wasAlone = alone();
        long start = System.nanoTime();
        Result result = connection.execute("UID FETCH " + uid + " (RFC822.SIZE BODY.PEEK[])");
        recorder.record("fetch-body", start);
        boolean found = false;
        for (ImapResponse response : result.untagged()) {
            apply(response);
            if (response instanceof ImapResponse.Fetch fetch && fetch.body() != null && uidOf(fetch) == uid) {
                found = true;
                checkBody(uid, fetch);
            }
        }
        if (succeeded("fetch-body", result) && !found && wasAlone && alone() && !expunged.contains(uid)) {
            errors.report("fetch-missing", user.name + ": UID FETCH " + uid + " BODY[] returned no body");
        }
    }

    private void checkBody(long uid, ImapResponse.Fetch fetch) {
        byte[] body = fetch.body();
        if (body.length == 0) {
            // A server may answer NIL or "" for a message another session expunged meanwhile
            // (RFC 2180 section 4.1.3); no corpus message is empty, so alone it is an error.
            if (alone()) {
                errors.report("body-missing", user.name + ": UID " + uid + " fetched as an empty body");
            }
            return;
        }
        if (fetch.size() != null && fetch.size() != body.length) {
            errors.report("size-mismatch", user.name + ": UID " + uid + " RFC822.SIZE " + fetch.size()
                + " but BODY[] has " + body.length + " bytes");
        }
        Corpus.Message appended = user.appended(uid);
        if (appended != null) {
            if (!MessagePool.matches(body, appended, true)) {
                errors.report("body-mismatch", user.name + ": UID " + uid + " was appended as corpus message "
                    + appended.id() + " (" + appended.size() + " bytes), fetched back " + body.length
                    + " different bytes");
            }
            return;
        }
        Corpus.Message named = pool.identify(body);
        if (named != null && !MessagePool.matches(body, named, false)) {
            errors.report("body-mismatch", user.name + ": UID " + uid + " claims to be corpus message " + named.id()
                + " but its " + body.length + " bytes differ");
        }
    }

    /** UID STORE of a flag, added or removed; the FETCH it answers with must show the change. */
    void store() throws IOException {
        long uid = randomUid();
        if (uid == 0) {
            return;
        }
        String flag = STORE_FLAGS[random.nextInt(STORE_FLAGS.length)];
        Set<String> current = flags.getOrDefault(uid, Set.of());
        storeFlag(uid, flag, !current.contains(normalize(flag)));
    }

    private void storeFlag(long uid, String flag, boolean add) throws IOException {
        boolean wasAlone = alone();
        long ticket = user.beginStore();
        long start = System.nanoTime();
        Result result;
        boolean unrivalled;
        try {
            result = connection.execute("UID STORE " + uid + (add ? " +FLAGS (" : " -FLAGS (") + flag + ")");
        } finally {
            unrivalled = user.endStore(ticket);
        }
        recorder.record("store", start);
        boolean reported = false;
        boolean shown = false;
        for (ImapResponse response : result.untagged()) {
            apply(response);
            if (response instanceof ImapResponse.Fetch fetch && fetch.flags() != null && uidOf(fetch) == uid) {
                reported = true;
                shown |= normalize(fetch.flags()).contains(normalize(flag)) == add;
            }
        }
        if (!succeeded("store", result)) {
            return;
        }
        // A message another session flagged \Deleted and expunged before this STORE ran cannot take the
        // flag (RFC 2180 section 4.2 lets the STORE answer OK with no effect); the answer may still carry
        // that session's FETCH with the old flags (an unsolicited update, RFC 9051 section 7.5.2) and
        // then its EXPUNGE. Only a message that is still there must show the change.
        if (reported && !shown && unrivalled && !expunged.contains(uid)) {
            errors.report("flag-lost", user.name + ": UID STORE " + uid + (add ? " +FLAGS " : " -FLAGS ") + flag
                + " answered with flags that " + (add ? "lack" : "still have") + " it");
        } else if (!reported && wasAlone && alone() && !expunged.contains(uid)) {
            errors.report("flag-not-reported", user.name + ": UID STORE " + uid + " " + flag
                + " answered without FETCH FLAGS (RFC 9051 section 6.4.6)");
        }
    }

    /** STORE \Deleted on one message, then EXPUNGE, which must report it gone. */
    void expunge() throws IOException {
        long uid = randomUid();
        if (uid == 0) {
            return;
        }
        storeFlag(uid, "\\Deleted", true);
        boolean wasAlone = alone();
        long start = System.nanoTime();
        Result result = connection.execute("EXPUNGE");
        recorder.record("expunge", start);
        for (ImapResponse response : result.untagged()) {
            apply(response);
        }
        if (succeeded("expunge", result) && wasAlone && alone() && !expunged.contains(uid)) {
            errors.report("expunge-not-reported", user.name + ": EXPUNGE did not report UID " + uid
                + " (flagged \\Deleted) as expunged");
        }
        user.forget(uid);
    }

    /** APPEND of a corpus message; APPENDUID (RFC 4315) must be a new UID above all confirmed ones. */
    void append() throws IOException {
        Corpus.Message message = pool.pick(random);
        long confirmed = Math.max(user.highestConfirmedUid(), highestUid());
        String appendFlags = random.nextInt(3) == 0 ? "\\Seen" : "";
        long start = System.nanoTime();
        Result result = connection.append(MAILBOX, appendFlags, message.bytes());
        recorder.record("append", start);
        for (ImapResponse response : result.untagged()) {
            apply(response);
        }
        if (!succeeded("append", result)) {
            return;
        }
        ImapResponse.Code code = result.tagged().code();
        if (code == null || !code.name().equals("APPENDUID")) {
            if (connection.has("UIDPLUS") || connection.has("IMAP4rev2")) {
                errors.report("appenduid-missing", user.name + ": APPEND OK without APPENDUID: " + result.tagged().text());
            }
            return;
        }
        long validity = code.number(0);
        long uid = parseUid(code.args().size() > 1 ? code.args().get(1) : null);
        if (uid <= 0) {
            errors.report("appenduid-malformed", user.name + ": " + code);
            return;
        }
        if (uidValidity != 0 && validity != uidValidity) {
            errors.report("appenduid-uidvalidity", user.name + ": APPENDUID says UIDVALIDITY " + validity
                + ", SELECT said " + uidValidity);
        }
        if (uid <= confirmed || expunged.contains(uid)) {
            errors.report("uid-reused", user.name + ": APPENDUID " + uid + " is not above UID " + confirmed
                + " which the server had already handed out");
        }
        user.confirmAppend(uid, message);
    }

    void list() throws IOException {
        long start = System.nanoTime();
        Result result = connection.execute("LIST \"\" \"*\"");
        recorder.record("list", start);
        boolean inbox = false;
        for (ImapResponse response : result.untagged()) {
            apply(response);
            if (response instanceof ImapResponse.Data(var n, var keyword, var values) && keyword.equals("LIST")
                    && values.size() == 3 && name(values.get(2)).equalsIgnoreCase("INBOX")) {
                inbox = true;
            }
        }
        if (succeeded("list", result) && !inbox) {
            errors.report("list-without-inbox", user.name + ": LIST \"\" \"*\" did not list INBOX");
        }
    }

    /**
     * STATUS of INBOX. While alone, its UIDNEXT must be above every UID confirmed before it was
     * asked; with other sessions it may lag, since STATUS of the selected mailbox may answer from
     * this session's view, not yet told of their appends (RFC 9051 section 6.3.11).
     */
    void status() throws IOException {
        long confirmed = alone() ? user.highestConfirmedUid() : 0;
        long start = System.nanoTime();
        Result result = connection.execute("STATUS " + MAILBOX + " (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)");
        recorder.record("status", start);
        for (ImapResponse response : result.untagged()) {
            apply(response);
            if (response instanceof ImapResponse.Data(var n, var keyword, var values) && keyword.equals("STATUS")
                    && values.size() == 2 && values.get(1) instanceof Value.Parens(List<Value> items)) {
                for (int i = 0; i + 1 < items.size(); i += 2) {
                    String item = name(items.get(i)).toUpperCase(Locale.ROOT);
                    long number = parseUid(items.get(i + 1));
                    if (item.equals("UIDNEXT") && number <= confirmed && alone()) {
                        errors.report("uidnext-not-above-known-uid", user.name + ": STATUS UIDNEXT " + number
                            + " but UID " + confirmed + " was already confirmed");
                    }
                    if (item.equals("UIDVALIDITY") && uidValidity != 0 && number != uidValidity) {
                        errors.report("uidvalidity-changed", user.name + ": STATUS says " + number + ", SELECT said "
                            + uidValidity);
                    }
                }
            }
        }
        succeeded("status", result);
    }

    void noop() throws IOException {
        long start = System.nanoTime();
        Result result = connection.execute("NOOP");
        recorder.record("noop", start);
        for (ImapResponse response : result.untagged()) {
            apply(response);
        }
        succeeded("noop", result);
    }

    /** LOGOUT: the server must say BYE, then OK (RFC 9051 section 6.1.3). */
    void logout() throws IOException {
        loggingOut = true;
        long start = System.nanoTime();
        Result result = connection.execute("LOGOUT");
        recorder.record("logout", start);
        boolean bye = false;
        for (ImapResponse response : result.untagged()) {
            bye |= response instanceof ImapResponse.Condition c && c.status() == ImapResponse.Status.BYE;
            apply(response);
        }
        if (succeeded("logout", result) && !bye) {
            errors.report("logout-without-bye", user.name);
        }
        close();
    }

    /** LOGOUT outside the measurement (the end of a run), ignoring failures. */
    void quietLogout() {
        loggingOut = true;
        try {
            connection.execute("LOGOUT");
        } catch (IOException | RuntimeException ignored) {
            // the run is over; the server may already be gone
        }
        close();
    }

    @Override
    public void close() {
        connection.close();
        if (loggedIn) {
            loggedIn = false;
            user.leave();
        }
    }

    // ---- the model ----

    /** Applies one untagged response to the model, reporting what breaks RFC 9051 section 7.4. */
    private void apply(ImapResponse response) {
        switch (response) {
            case ImapResponse.Exists(long count) -> {
                if (!selected) {
                    return;
                }
                if (count < exists) {
                    errors.report("exists-backwards", user.name + ": EXISTS " + count + " after " + exists
                        + " without EXPUNGE");
                    exists = (int) count;
                    return;
                }
                if (count > Integer.MAX_VALUE - 8) {
                    errors.report("exists-absurd", user.name + ": EXISTS " + count);
                    return;
                }
                if (count > uids.length) {
                    uids = Arrays.copyOf(uids, (int) Math.max(count, uids.length * 2L));
                }
                Arrays.fill(uids, exists, (int) count, 0);
                exists = (int) count;
            }
            case ImapResponse.Expunge(long sequence) -> {
                if (!selected) {
                    return;
                }
                if (sequence > exists) {
                    errors.report("expunge-beyond-exists", user.name + ": EXPUNGE " + sequence + " with EXISTS " + exists);
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
            case ImapResponse.Fetch fetch -> applyFetch(fetch);
            case ImapResponse.Data(var number, var keyword, var values) when keyword.equals("FLAGS") && number == null -> {
                announced.clear();
                if (!values.isEmpty() && values.getFirst() instanceof Value.Parens(List<Value> items)) {
                    for (Value flag : items) {
                        announced.add(normalize(name(flag)));
                    }
                }
            }
            case ImapResponse.Condition c when c.status() == ImapResponse.Status.BYE && !loggingOut ->
                errors.report("unexpected-bye", user.name + ": " + c.text());
            default -> { }
        }
    }

    private void applyFetch(ImapResponse.Fetch fetch) {
        if (!selected) {
            return;
        }
        if (fetch.sequence() > exists) {
            errors.report("fetch-beyond-exists", user.name + ": FETCH for sequence " + fetch.sequence()
                + " with EXISTS " + exists);
            return;
        }
        int index = (int) fetch.sequence() - 1;
        if (fetch.uid() != null) {
            long uid = fetch.uid();
            long known = uids[index];
            if (known != 0 && known != uid) {
                errors.report("uid-changed", user.name + ": sequence " + fetch.sequence() + " was UID " + known
                    + ", now UID " + uid);
            } else if (known == 0) {
                if (expunged.contains(uid)) {
                    errors.report("uid-reused", user.name + ": UID " + uid + " was expunged and is back at sequence "
                        + fetch.sequence());
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
                    errors.report("uid-order", user.name + ": UID " + uid + " at sequence " + fetch.sequence()
                        + " is not between its neighbours' UIDs " + below + " and " + (above == 0 ? "-" : above));
                }
            }
            uids[index] = uid;
        }
        long uid = uids[index];
        Set<String> told = fetch.flags() == null ? null : normalize(fetch.flags());
        if (told != null) {
            for (String flag : told) {
                if (!flag.startsWith("\\") && !announced.contains(flag)) {
                    errors.report("keyword-not-announced", user.name + ": " + fetch + " uses " + flag
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

    /** RFC 7162 section 3.1: a message's MODSEQ only grows, and one MODSEQ is one state of its flags. */
    private void checkModSeq(long uid, long modSeq, Set<String> told, ImapResponse.Fetch fetch) {
        Long before = modSeqs.get(uid);
        if (before != null && modSeq < before) {
            errors.report("modseq-backwards", user.name + ": UID " + uid + " told MODSEQ " + modSeq + " after " + before
                + ": " + fetch);
            return;
        }
        Set<String> then = flagsAtModSeq.get(uid);
        if (before != null && modSeq == before && told != null && then != null
                && !withoutRecent(told).equals(withoutRecent(then))) {
            errors.report("modseq-flags-mismatch", user.name + ": UID " + uid + " MODSEQ " + modSeq + " told with "
                + then + " and now with " + told);
        }
        modSeqs.put(uid, modSeq);
        if (told != null) {
            flagsAtModSeq.put(uid, told);
        } else if (before == null || modSeq > before) {
            flagsAtModSeq.remove(uid);
        }
    }

    private long uidOf(ImapResponse.Fetch fetch) {
        if (fetch.uid() != null) {
            return fetch.uid();
        }
        return fetch.sequence() <= exists ? uids[(int) fetch.sequence() - 1] : 0;
    }

    private long randomUid() {
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

    private long highestUid() {
        long highest = 0;
        for (int i = 0; i < exists; i++) {
            highest = Math.max(highest, uids[i]);
        }
        for (long uid : expunged) {
            highest = Math.max(highest, uid);
        }
        return highest;
    }

    /** Tagged OK, or an error counted against the operation (NO [EXPUNGEISSUED] is a race, not an error). */
    private boolean succeeded(String kind, Result result) {
        if (result.ok()) {
            return true;
        }
        ImapResponse.Tagged tagged = result.tagged();
        boolean race = tagged.status() == ImapResponse.Status.NO && tagged.code() != null
            && tagged.code().name().equals("EXPUNGEISSUED") && !alone();
        if (!race) {
            errors.report("failed-" + kind, user.name + ": " + tagged.status() + " " + tagged.text());
        }
        return false;
    }

    private static long parseUid(Value value) {
        if (value instanceof Value.Atom(String text)) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    private static String name(Value value) {
        return switch (value) {
            case Value.Atom(String text) -> text;
            case Value.Str s -> s.text();
            default -> "";
        };
    }

    private static String normalize(String flag) {
        return flag.toLowerCase(Locale.ROOT);
    }

    private static Set<String> normalize(List<String> flags) {
        Set<String> set = new HashSet<>();
        for (String flag : flags) {
            set.add(normalize(flag));
        }
        return set;
    }

    private static Set<String> withoutRecent(Set<String> flags) {
        Set<String> copy = new HashSet<>(flags);
        copy.remove("\\recent");
        return copy;
    }
}
