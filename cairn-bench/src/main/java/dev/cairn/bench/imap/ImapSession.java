// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import static dev.cairn.bench.imap.ResponseValues.name;
import static dev.cairn.bench.imap.ResponseValues.normalize;
import static dev.cairn.bench.imap.ResponseValues.parseUid;
import static dev.cairn.bench.imap.ResponseValues.withoutRecent;

import dev.cairn.bench.Corpus;
import dev.cairn.bench.Endpoint;
import dev.cairn.bench.Errors;
import dev.cairn.bench.MessagePool;
import dev.cairn.bench.Recorder;
import dev.cairn.imap.client.ImapClient;
import dev.cairn.imap.client.ImapClient.Result;
import dev.cairn.imap.client.ImapResponse;
import dev.cairn.imap.client.ImapResponse.Value;
import java.io.Closeable;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One logged-in client of the IMAP load: issues the operations of the mix against INBOX over an
 * {@link ImapClient}, feeds every untagged response to the {@link MailboxModel} (which checks
 * it against what this session was told before), and checks what each command's answer must
 * hold: APPENDUID is above every UID confirmed before, flags set by STORE are reported, a body
 * fetched back is the one appended, EXPUNGE reports what it removed. Where the server offers
 * CONDSTORE the session selects with it, so the model sees MODSEQs.
 *
 * <p>Checks that only hold when no other session changes the mailbox (STORE must report
 * the flag, a fetched message must come back, flags stay as this session left them) run
 * only while this is the user's only session ({@link UserState#alone}).
 */
final class ImapSession implements Closeable {

    static final String MAILBOX = "INBOX";
    private static final String[] STORE_FLAGS = {"\\Seen", "\\Flagged", "\\Answered", "$Forwarded", "$Label1", "$Label2"};

    private final ImapClient connection;
    private final UserState user;
    private final long login;
    private final MessagePool pool;
    private final Recorder recorder;
    private final Errors errors;
    private final SplittableRandom random;
    private final MailboxModel mailbox;
    private boolean loggedIn;
    private boolean loggingOut;

    private ImapSession(ImapClient connection, UserState user, long login, MessagePool pool, Recorder recorder,
            Errors errors, SplittableRandom random) {
        this.connection = connection;
        this.user = user;
        this.login = login;
        this.pool = pool;
        this.recorder = recorder;
        this.errors = errors;
        this.random = random;
        this.mailbox = new MailboxModel(errors, user.name);
    }

    /** Connects, logs in (one "login" operation: connection, greeting and LOGIN), and returns the session. */
    static ImapSession login(Endpoint endpoint, UserState user, String password, MessagePool pool, Recorder recorder,
            Errors errors, SplittableRandom random) throws IOException {
        long start = System.nanoTime();
        ImapClient connection = endpoint.openImap();
        ImapSession session = null;
        try {
            Result result = connection.login(user.name, password);
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
        return mailbox.exists();
    }

    boolean selected() {
        return mailbox.selected();
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
        mailbox.deselect();
        if (!succeeded("select", result)) {
            return;
        }
        mailbox.select();
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
            mailbox.uidValidity(validity);
            long before = user.noteUidValidity(validity);
            if (before != 0) {
                errors.report("uidvalidity-changed", user.name + ": " + before + " -> " + validity);
            }
        }
        if (uidNext > 0 && uidNext <= confirmed) {
            errors.report("uidnext-not-above-known-uid",
                user.name + ": UIDNEXT " + uidNext + " but UID " + confirmed + " was already confirmed by APPENDUID");
        }
        int selectedExists = mailbox.exists();
        fetchFlags();
        if (uidNext > 0 && alone()) {
            for (int i = 0; i < Math.min(selectedExists, mailbox.exists()); i++) {
                if (mailbox.uidAt(i) >= uidNext) {
                    errors.report("uid-not-below-uidnext", user.name + ": UID " + mailbox.uidAt(i) + " at sequence " + (i + 1)
                        + " but SELECT said UIDNEXT " + uidNext);
                    break;
                }
            }
        }
    }

    /** UID FETCH 1:* (FLAGS); when alone, every flag must be as this session last saw it. */
    void fetchFlags() throws IOException {
        boolean wasAlone = alone();
        Map<Long, Set<String>> before = wasAlone ? mailbox.flagsNow() : Map.of();
        Set<Long> fetched = new HashSet<>();
        long start = System.nanoTime();
        Result result = connection.execute("UID FETCH 1:* (FLAGS)");
        recorder.record("fetch-flags", start);
        for (ImapResponse response : result.untagged()) {
            apply(response);
            if (response instanceof ImapResponse.Fetch fetch && fetch.flags() != null) {
                fetched.add(mailbox.uidOf(fetch));
            }
        }
        if (!succeeded("fetch-flags", result) || !wasAlone || !alone()) {
            return;
        }
        for (int i = 0; i < mailbox.exists(); i++) {
            long uid = mailbox.uidAt(i);
            if (uid != 0 && !fetched.contains(uid)) {
                errors.report("fetch-missing", user.name + ": UID FETCH 1:* returned nothing for UID " + uid);
            }
        }
        before.forEach((uid, old) -> {
            Set<String> now = mailbox.toldFlags(uid);
            if (now != null && !withoutRecent(now).equals(withoutRecent(old))) {
                errors.report("flags-changed", user.name + ": UID " + uid + " had " + old + ", now " + now
                    + " with no other session logged in");
            }
        });
    }

    /** UID FETCH of one message's size and full body, which must be the bytes appended. */
    void fetchBody() throws IOException {
        long uid = mailbox.randomUid(random);
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
            if (response instanceof ImapResponse.Fetch fetch && fetch.body() != null && mailbox.uidOf(fetch) == uid) {
                found = true;
                checkBody(uid, fetch);
            }
        }
        if (succeeded("fetch-body", result) && !found && wasAlone && alone() && !mailbox.expunged(uid)) {
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
        long uid = mailbox.randomUid(random);
        if (uid == 0) {
            return;
        }
        String flag = STORE_FLAGS[random.nextInt(STORE_FLAGS.length)];
        Set<String> current = mailbox.flags(uid);
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
            if (response instanceof ImapResponse.Fetch fetch && fetch.flags() != null && mailbox.uidOf(fetch) == uid) {
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
        if (reported && !shown && unrivalled && !mailbox.expunged(uid)) {
            errors.report("flag-lost", user.name + ": UID STORE " + uid + (add ? " +FLAGS " : " -FLAGS ") + flag
                + " answered with flags that " + (add ? "lack" : "still have") + " it");
        } else if (!reported && wasAlone && alone() && !mailbox.expunged(uid)) {
            errors.report("flag-not-reported", user.name + ": UID STORE " + uid + " " + flag
                + " answered without FETCH FLAGS (RFC 9051 section 6.4.6)");
        }
    }

    /** STORE \Deleted on one message, then EXPUNGE, which must report it gone. */
    void expunge() throws IOException {
        long uid = mailbox.randomUid(random);
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
        if (succeeded("expunge", result) && wasAlone && alone() && !mailbox.expunged(uid)) {
            errors.report("expunge-not-reported", user.name + ": EXPUNGE did not report UID " + uid
                + " (flagged \\Deleted) as expunged");
        }
        user.forget(uid);
    }

    /** APPEND of a corpus message; APPENDUID (RFC 4315) must be a new UID above all confirmed ones. */
    void append() throws IOException {
        Corpus.Message message = pool.pick(random);
        long confirmed = Math.max(user.highestConfirmedUid(), mailbox.highestUid());
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
        if (mailbox.uidValidity() != 0 && validity != mailbox.uidValidity()) {
            errors.report("appenduid-uidvalidity", user.name + ": APPENDUID says UIDVALIDITY " + validity
                + ", SELECT said " + mailbox.uidValidity());
        }
        if (uid <= confirmed || mailbox.expunged(uid)) {
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
                    if (item.equals("UIDVALIDITY") && mailbox.uidValidity() != 0 && number != mailbox.uidValidity()) {
                        errors.report("uidvalidity-changed", user.name + ": STATUS says " + number + ", SELECT said "
                            + mailbox.uidValidity());
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

    /** Applies an untagged response to the mailbox model; BYE is an error unless this session logs out. */
    private void apply(ImapResponse response) {
        if (response instanceof ImapResponse.Condition c && c.status() == ImapResponse.Status.BYE && !loggingOut) {
            errors.report("unexpected-bye", user.name + ": " + c.text());
        }
        mailbox.apply(response);
    }
}
