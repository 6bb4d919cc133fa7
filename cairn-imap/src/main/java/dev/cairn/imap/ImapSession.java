// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.syntax.CommandParser;
import dev.cairn.imap.syntax.CommandReader;
import dev.cairn.imap.syntax.FetchItem;
import dev.cairn.imap.syntax.ImapCommand;
import dev.cairn.imap.syntax.ImapCommand.*;
import dev.cairn.imap.syntax.Literal;
import dev.cairn.imap.syntax.ParseException;
import dev.cairn.imap.syntax.RawCommand;
import dev.cairn.imap.syntax.ResponseWriter;
import dev.cairn.imap.syntax.SearchKey;
import dev.cairn.imap.syntax.SequenceSet;
import dev.cairn.protocol.Connection;
import dev.cairn.protocol.IdleTimeoutException;
import dev.cairn.protocol.InputOverrunException;
import dev.cairn.protocol.LoginTimeoutException;
import dev.cairn.protocol.auth.AuthLog;
import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Sasl;
import dev.cairn.protocol.auth.SaslException;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MailboxView;
import dev.cairn.store.NewMessage;
import dev.cairn.store.QuotaUsage;
import dev.cairn.store.Results;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IMAP connection: reads commands, checks the state in one place ({@link #allowed}),
 * dispatches them by an exhaustive switch and reports other sessions' changes at the moments
 * RFC 9051 §7.5.1 allows.
 */
final class ImapSession {
    private static final Logger log = LoggerFactory.getLogger(ImapSession.class);
    static final String SERVER_NAME = "Cairn";
    private static final String RIGHTS = "lrswipkxtea";
    private static final Duration OWN_CHANGE_WAIT = Duration.ofSeconds(10);
    /**
     * Nesting allowed before login: what the commands of that state need (ID's one list), so a
     * command that is refused there anyway ("Log in first") is never parsed deep (Dovecot's
     * imap-login allows one level too).
     */
    private static final int PRE_AUTH_NESTING = 1;

    enum State { NOT_AUTHENTICATED, AUTHENTICATED, SELECTED, LOGOUT }

    /** The answer to a command: status, optional response code, text. */
    record Result(String status, String code, String text) {
        static Result ok(String text) { return new Result("OK", null, text); }
        static Result ok(String code, String text) { return new Result("OK", code, text); }
        static Result no(String code, String text) { return new Result("NO", code, text); }
        static Result bad(String text) { return new Result("BAD", null, text); }
        static Result bad(String code, String text) { return new Result("BAD", code, text); }
    }

    /** Ends the session after the current response (BYE already sent). */
    private static final class SessionEnd extends Exception {
        SessionEnd() { super(null, null, false, false); }
    }

    private record Done(String line, IOException error) {}

    /** Queued by {@link #shutdown} to wake a session waiting in IDLE. */
    private static final Object SHUTDOWN = new Object();
    /** Queued by {@link #fenced} to wake a session waiting in IDLE. */
    private static final Object FENCED = new Object();

    private final ImapServer server;
    private final ImapConfig.Limits limits;
    private final Connection conn;
    private final ResponseWriter out;
    private final CommandReader reader;
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private State state = State.NOT_AUTHENTICATED;
    private UserStore store;
    private String user;
    /** Logged in by `cairn replica verify` ({@link VerifyAccess}): nothing may change. */
    private boolean verifyOnly;
    private SelectedMailbox selected;
    private boolean rev2, utf8, condStore, qresync, compressed;
    private int badCommands;
    private long[] savedSearch = new long[0];
    /** MODSEQ of this session's own silent flag change, whose FETCH the client must not get. */
    private long suppressFlagsModSeq = -1;
    private String currentTag;
    /** The command being handled, for its meter; null until it parses. */
    private String commandName;
    /** Held while the session writes, so that {@link #shutdown} never writes into the middle of a response. */
    private final java.util.concurrent.locks.ReentrantLock busy = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.atomic.AtomicBoolean byeSent = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean shuttingDown;
    /** Why the store stopped taking writes here (another node is its master now); null while it takes them. */
    private volatile String fenced;

    ImapSession(ImapServer server, Connection conn) {
        this.server = server;
        this.limits = server.config().limits();
        this.conn = conn;
        this.out = new ResponseWriter(conn::output);
        this.reader = new CommandReader(new CommandReader.Limits(limits.maxLineLength(), limits.maxLiteralSize(),
                limits.maxLiterals(), limits.spoolThreshold(), server.config().spoolDirectory(), limits.maxCommandMemory()),
                server.memory());
    }

    static void rejectOverLimit(Connection c) throws IOException {
        c.writeLine("* BYE [UNAVAILABLE] Too many connections, try again later");
        c.flush();
    }

    void run() throws IOException {
        server.sessions().add(this);
        try {
            conn.setIdleTimeout(limits.preAuthIdleTimeout());
            busy.lock();
            try {
                out.line("* OK [CAPABILITY " + capabilities() + "] " + SERVER_NAME + " ready");
                out.flush();
            } finally {
                busy.unlock();
            }
            while (state != State.LOGOUT) {
                if (!step()) break;
            }
        } catch (SessionEnd end) {
            // BYE was sent
        } catch (LoginTimeoutException e) {
            bye("Autologout; no login within " + limits.connectionLimits().loginTimeout().toSeconds() + " seconds");
        } catch (IdleTimeoutException e) {
            bye("Autologout; idle for too long");
        } catch (InputOverrunException e) {
            bye("[TOOBIG] Line too long in compressed input");
        } catch (EOFException e) {
            // client went away
        } catch (IOException e) {
            log.debug("imap {}: {}", conn.id(), e.toString());
        } finally {
            server.sessions().remove(this);
            busy.lock();
            try {
                out.flush();
            } catch (IOException ignored) {
                // the peer is gone
            } finally {
                busy.unlock();
            }
            if (selected != null) selected.close();
        }
    }

    /**
     * The server is stopping: says BYE now if the session is waiting for a command, or lets it say
     * BYE itself (from IDLE, or after the command it is running).
     */
    void shutdown() {
        shuttingDown = true;
        events.offer(SHUTDOWN);
        if (busy.tryLock()) {
            try {
                bye("Server shutting down");
            } finally {
                busy.unlock();
            }
        }
    }

    /**
     * The store got another master (epoch fencing, issue 5): a logged-in session ends with
     * {@code BYE [UNAVAILABLE]} (RFC 9051 §7.1.5) now if it is waiting for a command or in IDLE,
     * else right after the command it is running; the client reconnects and finds the new master.
     * A session not logged in goes on: its login is refused while the store is fenced.
     *
     * <p>Blocks while the session runs a command (call it on a thread of its own): the session
     * says BYE itself after that command, and a lock (not a tryLock) leaves no moment between its
     * check and its next read in which the fence could be missed.
     */
    void fenced(String reason) {
        fenced = reason;
        events.offer(FENCED); // wakes IDLE, which waits without holding busy
        busy.lock();
        try {
            if (authenticated(state)) {
                byeFenced();
                conn.close(); // wakes the thread reading the next command
            } else {
                fenced = null;
            }
        } finally {
            busy.unlock();
        }
    }

    private void byeFenced() {
        String reason = fenced;
        bye("[UNAVAILABLE] " + (reason == null ? "Mail store moved to another server" : reason.replace('\r', ' ').replace('\n', ' ')));
    }

    private void bye(String text) {
        if (!byeSent.compareAndSet(false, true)) return;
        try {
            out.line("* BYE " + text);
            out.flush();
        } catch (IOException ignored) {
            // the peer is gone
        }
    }

    /** Reads and answers one command; false when the session is over. */
    private boolean step() throws IOException, SessionEnd {
        RawCommand raw;
        try {
            raw = reader.read(conn.input(), () -> {
                busy.lock();
                try {
                    out.line("+ OK");
                    out.flush();
                } finally {
                    busy.unlock();
                }
            }, authenticated(state));
        } catch (CommandReader.RefusedException e) {
            busy.lock();
            try {
                return refused(e);
            } finally {
                busy.unlock();
            }
        }
        busy.lock();
        try {
            boolean more = handle(raw);
            if (shuttingDown) {
                bye("Server shutting down");
                throw new SessionEnd();
            }
            if (fenced != null && authenticated(state)) {
                byeFenced();
                throw new SessionEnd();
            }
            out.flush();
            return more;
        } finally {
            busy.unlock();
        }
    }

    /** Answers a command the reader refused before it was whole (a limit, or NUL). */
    private boolean refused(CommandReader.RefusedException e) throws IOException, SessionEnd {
        String tag = e.tag() == null ? "*" : e.tag();
        out.line(tag + (e.no() ? " NO" : " BAD") + " [" + e.code() + "] " + e.getMessage());
        if (e.fatal()) {
            bye(e.farewell());
            throw new SessionEnd();
        }
        // a message over APPENDLIMIT is a valid command the server declines; before login every refusal counts
        if (!e.no() || state == State.NOT_AUTHENTICATED) countBad();
        out.flush();
        return true;
    }

    private boolean handle(RawCommand raw) throws IOException, SessionEnd {
        long start = System.nanoTime();
        commandName = null;
        try {
            return handleParsed(raw);
        } finally {
            server.commands().record(commandName, System.nanoTime() - start);
        }
    }

    private boolean handleParsed(RawCommand raw) throws IOException, SessionEnd {
        try (raw) {
            CommandParser.Tagged tagged;
            try {
                int nesting = state == State.NOT_AUTHENTICATED ? PRE_AUTH_NESTING : limits.maxNesting();
                tagged = CommandParser.parse(raw, new CommandParser.Options(utf8, nesting, limits.maxSequenceRanges()));
            } catch (ParseException e) {
                String tag = CommandParser.tagOf(raw);
                // a well-formed command naming what cannot exist is declined (NO); before login nothing is
                boolean declined = e.declined() && state != State.NOT_AUTHENTICATED;
                if (tag == null || tag.isEmpty()) out.line("* BAD [CLIENTBUG] Invalid tag or empty command");
                else out.line(tag + (declined ? " NO" : " BAD") + (e.code() != null ? " [" + e.code() + "] " : " ") + e.getMessage());
                if (!declined) countBad();
                return true;
            }
            currentTag = tagged.tag();
            ImapCommand command = tagged.command();
            commandName = command.name();
            if (!allowed(command, state)) {
                out.line(tagged.tag() + " BAD " + wrongStateText(command));
                countBad();
                return true;
            }
            Result result;
            try {
                result = verifyOnly && writes(command)
                        ? Result.no("UNAVAILABLE", "This login is read-only (replica verification)")
                        : execute(tagged.tag(), command);
            } catch (StoreException e) {
                result = storeFailure(e, command);
            } catch (HeavyCommands.OverBudget e) {
                result = Result.no("LIMIT", command.name() + " took more than its share of the server's time; narrow it down");
            } catch (RuntimeException e) {
                // a bug or an unexpected store failure: this command fails, the session goes on
                log.warn("imap {}: {} failed", conn.id(), command.name(), e);
                result = Result.no("SERVERBUG", "Internal error; the command was not completed");
            } catch (InterruptedException e) {
                java.lang.Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            if (result != null) {
                sync(expungeAllowed(command));
                out.line(tagged.tag() + " " + result.status() + (result.code() != null ? " [" + result.code() + "] " : " ") + result.text());
                if (result.status().equals("BAD")) countBad();
            }
            return state != State.LOGOUT;
        }
    }

    private void countBad() throws IOException, SessionEnd {
        badCommands++;
        int max = state == State.NOT_AUTHENTICATED ? limits.maxBadCommandsPreAuth() : limits.maxBadCommands();
        if (badCommands >= max) {
            bye("Too many invalid commands");
            throw new SessionEnd();
        }
    }

    // ---- state rules: the one place that says which command runs in which state (RFC 9051 §3) ----

    static boolean allowed(ImapCommand command, State state) {
        return switch (command) {
            case Capability c -> true;
            case Noop c -> true;
            case Logout c -> true;
            case Id c -> true;
            case StartTls c -> state == State.NOT_AUTHENTICATED;
            case Authenticate c -> state == State.NOT_AUTHENTICATED;
            case Login c -> state == State.NOT_AUTHENTICATED;
            case Enable c -> state == State.AUTHENTICATED || state == State.SELECTED;
            case Select c -> authenticated(state);
            case Examine c -> authenticated(state);
            case Create c -> authenticated(state);
            case Delete c -> authenticated(state);
            case Rename c -> authenticated(state);
            case Subscribe c -> authenticated(state);
            case Unsubscribe c -> authenticated(state);
            case ImapCommand.List c -> authenticated(state);
            case Lsub c -> authenticated(state);
            case Namespace c -> authenticated(state);
            case Status c -> authenticated(state);
            case Append c -> authenticated(state);
            case Idle c -> authenticated(state);
            case Compress c -> authenticated(state);
            case GetQuota c -> authenticated(state);
            case GetQuotaRoot c -> authenticated(state);
            case SetQuota c -> authenticated(state);
            case GetAcl c -> authenticated(state);
            case SetAcl c -> authenticated(state);
            case DeleteAcl c -> authenticated(state);
            case ListRights c -> authenticated(state);
            case MyRights c -> authenticated(state);
            case Check c -> state == State.SELECTED;
            case Close c -> state == State.SELECTED;
            case Unselect c -> state == State.SELECTED;
            case Expunge c -> state == State.SELECTED;
            case Search c -> state == State.SELECTED;
            case Fetch c -> state == State.SELECTED;
            case Store c -> state == State.SELECTED;
            case Copy c -> state == State.SELECTED;
            case Move c -> state == State.SELECTED;
            case Sort c -> state == State.SELECTED;
            case ImapCommand.Thread c -> state == State.SELECTED;
        };
    }

    private static boolean authenticated(State s) { return s == State.AUTHENTICATED || s == State.SELECTED; }

    /**
     * The commands that change stored data: refused in a verification session. SELECT is not
     * here (it becomes EXAMINE there), nor CLOSE (it expunges only a read-write selection).
     */
    static boolean writes(ImapCommand command) {
        return switch (command) {
            case Create c -> true;
            case Delete c -> true;
            case Rename c -> true;
            case Subscribe c -> true;
            case Unsubscribe c -> true;
            case Append c -> true;
            case SetQuota c -> true;
            case SetAcl c -> true;
            case DeleteAcl c -> true;
            case Expunge c -> true;
            case Store c -> true;
            case Copy c -> true;
            case Move c -> true;
            case Capability c -> false;
            case Noop c -> false;
            case Logout c -> false;
            case Id c -> false;
            case StartTls c -> false;
            case Authenticate c -> false;
            case Login c -> false;
            case Enable c -> false;
            case Select c -> false;
            case Examine c -> false;
            case ImapCommand.List c -> false;
            case Lsub c -> false;
            case Namespace c -> false;
            case Status c -> false;
            case Idle c -> false;
            case Compress c -> false;
            case GetQuota c -> false;
            case GetQuotaRoot c -> false;
            case GetAcl c -> false;
            case ListRights c -> false;
            case MyRights c -> false;
            case Check c -> false;
            case Close c -> false;
            case Unselect c -> false;
            case Search c -> false;
            case Fetch c -> false;
            case Sort c -> false;
            case ImapCommand.Thread c -> false;
        };
    }

    private String wrongStateText(ImapCommand command) {
        return switch (state) {
            case NOT_AUTHENTICATED -> "Log in first";
            case AUTHENTICATED -> allowed(command, State.SELECTED) ? "No mailbox selected" : "Already logged in";
            case SELECTED -> "Already logged in";
            case LOGOUT -> "Logging out";
        };
    }

    /** RFC 9051 §7.5.1: no EXPUNGE while answering FETCH, STORE or SEARCH (the UID forms may). */
    private static boolean expungeAllowed(ImapCommand command) {
        return switch (command) {
            case Fetch f -> f.uid();
            case Store s -> s.uid();
            // RFC 7162 §3.2.10.2: nor during a UID SEARCH that names message numbers
            case Search s -> s.uid() && !mentions(s.key(), SearchKey.Sequence.class);
            case Sort s -> s.uid();
            case ImapCommand.Thread t -> t.uid();
            default -> true;
        };
    }

    // ---- dispatch ----

    private Result execute(String tag, ImapCommand command) throws IOException, SessionEnd, InterruptedException {
        return switch (command) {
            case Capability c -> {
                out.line("* CAPABILITY " + capabilities());
                yield Result.ok("CAPABILITY completed");
            }
            case Noop c -> Result.ok("NOOP completed");
            case Logout c -> {
                out.line("* BYE Logging out");
                state = State.LOGOUT;
                out.line(tag + " OK LOGOUT completed");
                yield null;
            }
            case Id c -> {
                out.line("* ID (\"name\" \"" + SERVER_NAME + "\" \"vendor\" \"Cairn\")");
                yield Result.ok("ID completed");
            }
            case StartTls c -> startTls(tag);
            case Authenticate c -> authenticate(c);
            case Login c -> login("LOGIN-COMMAND", c.user(), c.password(), null);
            case Enable c -> enable(c);
            case Select c -> select(c.mailbox(), verifyOnly, c.condStore(), c.qresync());
            case Examine c -> select(c.mailbox(), true, c.condStore(), c.qresync());
            case Create c -> create(c);
            case Delete c -> {
                if (selected != null && selected.name.equals(c.mailbox())) {
                    // deleting the selected mailbox: leave it first (RFC 9051 §6.3.5 lets the server choose)
                    unselect();
                    out.line("* OK [CLOSED] Previous mailbox closed");
                }
                store.deleteMailbox(c.mailbox());
                yield Result.ok("DELETE completed");
            }
            case Rename c -> {
                store.renameMailbox(c.from(), c.to());
                yield Result.ok("RENAME completed");
            }
            case Subscribe c -> {
                store.subscribe(c.mailbox());
                yield Result.ok("SUBSCRIBE completed");
            }
            case Unsubscribe c -> {
                store.unsubscribe(c.mailbox());
                yield Result.ok("UNSUBSCRIBE completed");
            }
            case ImapCommand.List c -> MailboxLister.write(heavy(b -> new MailboxLister(store, b).list(c)), out, this::writeStatus);
            case Lsub c -> MailboxLister.write(heavy(b -> new MailboxLister(store, b).lsub(c)), out, this::writeStatus);
            case Namespace c -> {
                out.line("* NAMESPACE ((\"\" \"/\")) NIL NIL");
                yield Result.ok("NAMESPACE completed");
            }
            case Status c -> status(c);
            case Append c -> append(c);
            case Idle c -> idle(tag);
            case Check c -> Result.ok("CHECK completed");
            case Close c -> {
                if (!selected.readOnly) {
                    long[] deleted = deletedUids(null);
                    if (deleted.length > 0) store.expunge(selected.id, uidList(deleted));
                }
                unselect();
                yield Result.ok("CLOSE completed");
            }
            case Unselect c -> {
                unselect();
                yield Result.ok("UNSELECT completed");
            }
            case Expunge c -> expunge(c);
            case Search c -> search(tag, c);
            case Fetch c -> fetch(c);
            case Store c -> storeFlags(c);
            case Copy c -> copyOrMove(c.uid(), c.set(), c.mailbox(), false);
            case Move c -> copyOrMove(c.uid(), c.set(), c.mailbox(), true);
            case Compress c -> compress(tag, c);
            case GetQuota c -> {
                if (!c.root().isEmpty()) yield Result.no("NONEXISTENT", "No such quota root");
                writeQuota();
                yield Result.ok("GETQUOTA completed");
            }
            case GetQuotaRoot c -> {
                if (store.mailbox(c.mailbox()).isEmpty()) yield Result.no("NONEXISTENT", "No such mailbox");
                out.raw("* QUOTAROOT ").mailbox(c.mailbox()).raw(" \"\"").crlf();
                writeQuota();
                yield Result.ok("GETQUOTAROOT completed");
            }
            case SetQuota c -> Result.no("NOPERM", "Quotas are set by the administrator");
            case GetAcl c -> {
                requireMailbox(c.mailbox());
                out.raw("* ACL ").mailbox(c.mailbox()).sp().astring(user).sp().raw(RIGHTS);
                for (Results.AclEntry e : store.acl(c.mailbox())) {
                    if (e.identifier().equals(user)) continue;
                    out.sp().astring(e.identifier()).sp().astring(e.rights());
                }
                out.crlf();
                yield Result.ok("GETACL completed");
            }
            case SetAcl c -> setAcl(c.mailbox(), c.identifier(), c.rights());
            case DeleteAcl c -> setAcl(c.mailbox(), c.identifier(), "");
            case ListRights c -> {
                requireMailbox(c.mailbox());
                out.raw("* LISTRIGHTS ").mailbox(c.mailbox()).sp().astring(c.identifier());
                if (c.identifier().equals(user)) out.sp().raw(RIGHTS);
                else out.raw(" \"\" l r s w i p k x t e a");
                out.crlf();
                yield Result.ok("LISTRIGHTS completed");
            }
            case MyRights c -> {
                requireMailbox(c.mailbox());
                out.raw("* MYRIGHTS ").mailbox(c.mailbox()).sp().raw(RIGHTS).crlf();
                yield Result.ok("MYRIGHTS completed");
            }
            case Sort c -> {
                SelectedMailbox sm = selected;
                long[] saved = savedSearch;
                yield sortOrThread(c.charset(), b -> new Searcher(store, b).sort(sm, c, saved), "SORT");
            }
            case ImapCommand.Thread c -> {
                if (!c.algorithm().equals("ORDEREDSUBJECT") && !c.algorithm().equals("REFERENCES")) {
                    yield Result.bad("Unknown threading algorithm " + c.algorithm());
                }
                SelectedMailbox sm = selected;
                long[] saved = savedSearch;
                yield sortOrThread(c.charset(), b -> new Searcher(store, b).thread(sm, c, saved), "THREAD");
            }
        };
    }

    // ---- capabilities ----

    private boolean plaintextAuthRefused() {
        return !conn.isSecure() && !conn.isLoopback() && !server.config().plaintextAuthAllowed();
    }

    String capabilities() {
        StringBuilder sb = new StringBuilder("IMAP4rev1 IMAP4rev2");
        if (state == State.NOT_AUTHENTICATED) {
            if (server.config().tls() != null && conn.canStartTls()) sb.append(" STARTTLS");
            if (plaintextAuthRefused()) sb.append(" LOGINDISABLED");
            else sb.append(" AUTH=PLAIN AUTH=LOGIN");
            sb.append(" SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE");
            return sb.toString();
        }
        sb.append(" LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CONDSTORE QRESYNC")
                .append(" SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS CHILDREN")
                .append(" ESEARCH SEARCHRES WITHIN SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES STATUS=SIZE MULTIAPPEND BINARY")
                .append(" APPENDLIMIT=").append(limits.maxLiteralSize())
                .append(" QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE ACL RIGHTS=texk OBJECTID SAVEDATE UTF8=ACCEPT");
        if (!compressed) sb.append(" COMPRESS=DEFLATE");
        return sb.toString();
    }

    // ---- authentication ----

    private Result startTls(String tag) throws IOException {
        if (server.config().tls() == null || !conn.canStartTls()) return Result.bad("STARTTLS not available here");
        conn.startTls(server.config().tls(), (tag + " OK Begin TLS negotiation now\r\n").getBytes(StandardCharsets.US_ASCII),
                Duration.ofSeconds(30));
        return null;
    }

    private Result authenticate(Authenticate c) throws IOException, SessionEnd, InterruptedException {
        if (plaintextAuthRefused()) return Result.no("PRIVACYREQUIRED", "Use TLS before authenticating");
        try {
            switch (c.mechanism()) {
                case "PLAIN" -> {
                    String response = c.initialResponse() != null ? c.initialResponse() : challenge("");
                    if (Sasl.isCancel(response)) return Result.bad("AUTHENTICATE cancelled");
                    Sasl.Credentials cred = Sasl.decodePlain(response);
                    return login("PLAIN", cred.authcid(), cred.password(), cred.authzid());
                }
                case "LOGIN" -> {
                    String name = c.initialResponse() != null ? c.initialResponse() : challenge(Sasl.LOGIN_USERNAME_CHALLENGE);
                    if (Sasl.isCancel(name)) return Result.bad("AUTHENTICATE cancelled");
                    String u = Sasl.decodeLoginField(name);
                    String pw = challenge(Sasl.LOGIN_PASSWORD_CHALLENGE);
                    if (Sasl.isCancel(pw)) return Result.bad("AUTHENTICATE cancelled");
                    return login("LOGIN", u, Sasl.decodeLoginField(pw), null);
                }
                default -> {
                    return Result.no("CANNOT", "Unsupported authentication mechanism");
                }
            }
        } catch (SaslException e) {
            server.throttle().failed(attempt(c.mechanism(), null), AuthLog.Reason.BAD_SASL);
            return Result.bad("Invalid SASL response: " + e.getMessage());
        }
    }

    private String challenge(String base64) throws IOException {
        out.line("+ " + base64);
        out.flush();
        return new String(conn.input().readLine(Sasl.MAX_RESPONSE_CHARS, false).bytes(), StandardCharsets.US_ASCII);
    }

    private AuthThrottle.Attempt attempt(String mechanism, String name) {
        return new AuthThrottle.Attempt("imap", mechanism, name, conn.remoteInetAddress());
    }

    /** Every login goes through the node's throttle, which also logs it (RFC 9051 §6.2.2, §6.2.3). */
    private Result login(String mechanism, String name, String password, String authzid) throws IOException, InterruptedException {
        if (plaintextAuthRefused()) return Result.no("PRIVACYREQUIRED", "Use TLS before logging in");
        VerifyAccess verify = server.config().verifyAccess();
        if (verify != null && VerifyAccess.IDENTITY.equals(name)) return verifyLogin(verify, mechanism, password, authzid);
        java.net.InetAddress remote = conn.remoteInetAddress();
        boolean secure = conn.isSecure();
        AuthResult r = server.throttle().check(attempt(mechanism, name),
                () -> server.authenticator().authenticate(name, password, authzid, remote, secure));
        switch (r) {
            case AuthResult.Success s -> {
                store = server.store().openOrCreateUser(s.user());
                user = s.user();
                state = State.AUTHENTICATED;
                badCommands = 0;
                conn.setIdleTimeout(limits.idleTimeout());
                conn.loggedIn();
                return Result.ok("CAPABILITY " + capabilities(), "Logged in");
            }
            case AuthResult.Failure f -> {
                if (f.reason() == AuthResult.Reason.TEMPORARY_FAILURE) return Result.no("UNAVAILABLE", "Try again later");
                return Result.no("AUTHENTICATIONFAILED", "Authentication failed");
            }
        }
    }

    /**
     * A verification login (see {@link VerifyAccess}): not through the directory, so it works on a
     * replica, where user logins are refused. One answer for every failure, throttled like any.
     */
    private Result verifyLogin(VerifyAccess verify, String mechanism, String password, String authzid)
            throws IOException, InterruptedException {
        java.net.InetAddress remote = conn.remoteInetAddress();
        AuthResult checked = server.throttle().check(attempt(mechanism, VerifyAccess.IDENTITY), () -> {
            String refused = authzid == null || authzid.isEmpty() ? "no authorization identity"
                    : !verify.trusts(remote) ? "untrusted address"
                    : !verify.passwordMatches(password, authzid) ? "wrong password" : null;
            return refused == null ? AuthResult.success(VerifyAccess.IDENTITY) : AuthResult.invalid(refused);
        });
        if (checked instanceof AuthResult.Failure f) {
            if (f.reason() == AuthResult.Reason.TEMPORARY_FAILURE) return Result.no("UNAVAILABLE", "Try again later");
            log.warn("imap {}: verification login refused from {}: {}", conn.id(), remote.getHostAddress(), f.detail());
            return Result.no("AUTHENTICATIONFAILED", "Authentication failed");
        }
        // never openOrCreateUser: a verification must not create what it compares
        if (!server.store().hasUser(authzid)) return Result.no("NONEXISTENT", "No such user in this slot");
        store = server.store().user(authzid);
        user = authzid;
        verifyOnly = true;
        state = State.AUTHENTICATED;
        badCommands = 0;
        conn.setIdleTimeout(limits.idleTimeout());
        conn.loggedIn();
        log.info("imap {}: read-only verification login for {} from {}", conn.id(), authzid, remote.getHostAddress());
        return Result.ok("CAPABILITY " + capabilities(), "Logged in read-only for verification");
    }

    private Result enable(Enable c) throws IOException {
        List<String> enabled = new ArrayList<>();
        for (String cap : c.capabilities()) {
            switch (cap) {
                case "IMAP4REV2" -> {
                    if (!rev2) enabled.add("IMAP4rev2");
                    rev2 = true;
                    setUtf8();
                    if (selected != null) selected.stopRecent(); // RFC 9051 has no \Recent
                }
                case "UTF8=ACCEPT" -> {
                    if (!utf8) enabled.add("UTF8=ACCEPT");
                    setUtf8();
                }
                case "CONDSTORE" -> {
                    if (!condStore) enabled.add("CONDSTORE");
                    enableCondStore();
                }
                case "QRESYNC" -> {
                    if (!qresync) enabled.add("QRESYNC");
                    qresync = true;
                    enableCondStore();
                }
                default -> { /* RFC 5161: unknown ones are ignored */ }
            }
        }
        out.line("* ENABLED" + (enabled.isEmpty() ? "" : " " + String.join(" ", enabled)));
        return Result.ok("ENABLE completed");
    }

    private void setUtf8() {
        utf8 = true;
        out.setUtf8(true);
    }

    private Result compress(String tag, Compress c) throws IOException {
        if (compressed) return Result.no("COMPRESSIONACTIVE", "Already compressing");
        if (!c.mechanism().equals("DEFLATE")) return Result.bad("Unknown compression mechanism");
        out.line(tag + " OK DEFLATE active");
        out.flush();
        // RFC 4978 §4: raw DEFLATE both ways; a sync flush at every flush keeps responses prompt
        conn.installCompression(in -> new InflaterInputStream(in, new Inflater(true), 4096),
                o -> new SyncFlushDeflater(o));
        compressed = true;
        return null;
    }

    /**
     * DEFLATE that sync-flushes at each flush, but only when something was written since the last
     * one: an empty flush still emits a sync marker, which some clients (mbsync) read as an empty
     * response when it arrives on its own.
     */
    private static final class SyncFlushDeflater extends DeflaterOutputStream {
        private boolean dirty;

        SyncFlushDeflater(java.io.OutputStream out) {
            super(out, new Deflater(Deflater.DEFAULT_COMPRESSION, true), 4096, true);
        }

        @Override public void write(int b) throws IOException {
            dirty = true;
            super.write(b);
        }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            if (len > 0) dirty = true;
            super.write(b, off, len);
        }

        @Override public void flush() throws IOException {
            if (!dirty) return;
            dirty = false;
            super.flush();
        }

        @Override public void close() throws IOException {
            def.end();
            out.close();
        }
    }

    // ---- mailboxes ----

    private Result select(String name, boolean readOnly, boolean condStoreParam, QResync qr) throws IOException {
        if (selected != null) {
            unselect();
            // RFC 7162 §3.2.11: CONDSTORE is offered, so CLOSED whether or not a session enabled it
            out.line("* OK [CLOSED] Previous mailbox closed");
        }
        state = State.AUTHENTICATED;
        if (qr != null && !qresync) return Result.bad("Enable QRESYNC first");
        if (condStoreParam) condStore = true;
        MailboxInfo info = store.mailbox(name).orElse(null);
        if (info == null) return Result.no("NONEXISTENT", "No such mailbox");
        SelectedMailbox sm = new SelectedMailbox(info.id(), info.name(), readOnly, info.uidValidity(), events);
        MailboxView view = store.view(info.id());
        events.clear(); // before attaching: what arrives after belongs to this selection
        MailboxView.Attachment attachment = view.attach(sm);
        sm.start(view, attachment);
        MailboxSnapshot snap = attachment.snapshot();
        selected = sm;
        savedSearch = new long[0];
        state = State.SELECTED;

        int firstUnseen = 0;
        for (int i = 0; i < snap.size() && firstUnseen == 0; i++) if (!snap.flags(i).has(Flags.SEEN)) firstUnseen = i + 1;
        sm.writeFlags(out, true); // every keyword defined in the mailbox (RFC 9051 §7.3.5)
        out.line("* " + sm.count() + " EXISTS");
        MailboxInfo now = snap.info();
        if (!rev2) {
            // RFC 3501 §2.3.2: recent here are the messages no session was told of; EXAMINE takes none (§6.3.2)
            long uidNext = now.uidNext();
            sm.startRecent(readOnly ? store.firstUnclaimedRecent(sm.id) : store.claimRecent(sm.id, uidNext), uidNext);
            out.line("* " + sm.recentCount() + " RECENT");
            if (firstUnseen > 0) out.line("* OK [UNSEEN " + firstUnseen + "] First unseen");
        }
        out.line("* OK [UIDVALIDITY " + now.uidValidity() + "] UIDs valid");
        out.line("* OK [UIDNEXT " + now.uidNext() + "] Predicted next UID");
        out.line("* OK [HIGHESTMODSEQ " + now.highestModSeq() + "] Highest");
        out.line("* OK [MAILBOXID (" + now.id().value() + ")] Ok");
        if (rev2) writeListEntry(now);
        if (qr != null && qr.uidValidity() == now.uidValidity()) qresyncReport(qr, snap);
        return Result.ok(readOnly ? "READ-ONLY" : "READ-WRITE", (readOnly ? "EXAMINE" : "SELECT") + " completed");
    }

    /**
     * RFC 9051 §6.3.2: SELECT and EXAMINE in IMAP4rev2 "MUST return a LIST response with the
     * mailbox name" (as stored: INBOX in capitals), its attributes "accurate", as a plain LIST gives them.
     */
    private void writeListEntry(MailboxInfo info) throws IOException {
        String inferiors = info.name() + "/";
        boolean children = store.mailboxes().stream().anyMatch(m -> m.name().startsWith(inferiors));
        List<String> attributes = new ArrayList<>();
        attributes.add(children ? "\\HasChildren" : "\\HasNoChildren");
        for (dev.cairn.store.SpecialUse u : info.specialUse()) attributes.add(u.attribute());
        out.raw("* LIST (" + String.join(" ", attributes) + ") \"/\" ").mailbox(info.name()).crlf();
    }

    /** RFC 7162 §3.2.5.2: what changed since the client's MODSEQ: VANISHED (EARLIER), then FETCH. */
    private void qresyncReport(QResync qr, MailboxSnapshot snap) throws IOException {
        List<Results.Tombstone> gone = store.expungedSince(selected.id, qr.modSeq());
        List<Long> vanished = new ArrayList<>();
        for (Results.Tombstone t : gone) {
            long u = t.uid().value();
            if (qr.knownUids() == null || qr.knownUids().contains(u, Uid.MAX)) vanished.add(u);
        }
        if (!vanished.isEmpty()) {
            long[] v = vanished.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
            out.line("* VANISHED (EARLIER) " + SequenceSet.ofNumbers(v));
        }
        for (int i = 0; i < snap.size(); i++) {
            if (snap.modSeq(i).value() <= qr.modSeq()) continue;
            long u = snap.uid(i).value();
            if (qr.knownUids() != null && !qr.knownUids().contains(u, Uid.MAX)) continue;
            writeFlagsFetch(i + 1, u, snap.flags(i), snap.modSeq(i).value(), true);
        }
    }

    private void unselect() {
        if (selected != null) selected.close();
        selected = null;
        events.clear();
        state = State.AUTHENTICATED;
    }

    private Result create(Create c) throws IOException {
        Set<SpecialUse> uses = java.util.EnumSet.noneOf(SpecialUse.class);
        for (String u : c.specialUse()) {
            SpecialUse su = SpecialUse.fromAttribute(u).orElse(null);
            if (su == null) return Result.no("USEATTR", "Unsupported special-use attribute " + u);
            uses.add(su);
        }
        String name = c.mailbox();
        if (name.endsWith("/")) name = name.substring(0, name.length() - 1); // RFC 9051 §6.3.4
        MailboxInfo info = store.createMailbox(name, uses);
        return Result.ok("MAILBOXID (" + info.id().value() + ")", "CREATE completed");
    }

    private void requireMailbox(String name) {
        if (store.mailbox(name).isEmpty()) throw new StoreException(StoreException.Reason.NONEXISTENT, "No such mailbox");
    }

    private Result setAcl(String mailbox, String identifier, String rights) {
        requireMailbox(mailbox);
        if (identifier.equals(user)) return Result.no("CANNOT", "The owner's rights cannot be changed");
        String current = "";
        for (Results.AclEntry e : store.acl(mailbox)) if (e.identifier().equals(identifier)) current = e.rights();
        String next;
        if (rights.startsWith("+")) next = mergeRights(current, rights.substring(1), true);
        else if (rights.startsWith("-")) next = mergeRights(current, rights.substring(1), false);
        else next = mergeRights("", rights, true);
        for (char ch : next.toCharArray()) {
            if (RIGHTS.indexOf(ch) < 0 && "cd".indexOf(ch) < 0) return Result.bad("Unknown right " + ch);
        }
        store.setAcl(mailbox, identifier, next);
        return Result.ok("ACL updated");
    }

    private static String mergeRights(String current, String change, boolean add) {
        StringBuilder sb = new StringBuilder();
        for (char ch : (RIGHTS + "cd").toCharArray()) {
            boolean has = current.indexOf(ch) >= 0;
            boolean named = change.indexOf(ch) >= 0;
            if (add ? has || named : has && !named) sb.append(ch);
        }
        return sb.toString();
    }

    private Result status(Status c) throws IOException {
        MailboxInfo info = store.mailbox(c.mailbox()).orElse(null);
        if (info == null) return Result.no("NONEXISTENT", "No such mailbox");
        for (String item : c.items()) {
            if (!Set.of("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "HIGHESTMODSEQ", "RECENT",
                    "APPENDLIMIT", "MAILBOXID").contains(item)) return Result.bad("Unknown STATUS item " + item);
        }
        if (c.items().contains("HIGHESTMODSEQ")) enableCondStore();
        writeStatus(info, c.items());
        return Result.ok("STATUS completed");
    }

    void writeStatus(MailboxInfo info, List<String> items) throws IOException {
        out.raw("* STATUS ").mailbox(info.name()).raw(" (");
        boolean first = true;
        for (String item : items) {
            if (!first) out.sp();
            first = false;
            out.raw(item).sp();
            switch (item) {
                case "MESSAGES" -> out.number(info.messages());
                case "UIDNEXT" -> out.number(info.uidNext());
                case "UIDVALIDITY" -> out.number(info.uidValidity());
                case "UNSEEN" -> out.number(info.unseen());
                case "DELETED" -> out.number(info.deleted());
                case "SIZE" -> out.number(info.size());
                case "HIGHESTMODSEQ" -> out.number(info.highestModSeq());
                case "RECENT" -> out.number(rev2 ? 0 : unclaimedRecent(info));
                case "APPENDLIMIT" -> out.number(limits.maxLiteralSize());
                case "MAILBOXID" -> out.raw("(" + info.id().value() + ")");
                default -> out.raw("NIL");
            }
        }
        out.raw(")").crlf();
    }

    /** STATUS RECENT (RFC 3501 §6.3.10): the messages no session has been told of yet. */
    private long unclaimedRecent(MailboxInfo info) {
        long first = store.firstUnclaimedRecent(info.id());
        if (first >= info.uidNext()) return 0;
        MailboxSnapshot s = store.view(info.id()).snapshot();
        int i = s.indexOf(Uid.of(first));
        return s.size() - (i >= 0 ? i : -i - 1);
    }

    private void writeQuota() throws IOException {
        QuotaUsage q = store.quota();
        List<String> parts = new ArrayList<>();
        // RFC 9208 §5.1: STORAGE in units of 1024 octets
        if (q.storageLimit() >= 0) parts.add("STORAGE " + ((q.storageUsed() + 1023) / 1024) + " " + (q.storageLimit() / 1024));
        if (q.messagesLimit() >= 0) parts.add("MESSAGE " + q.messagesUsed() + " " + q.messagesLimit());
        out.line("* QUOTA \"\" (" + String.join(" ", parts) + ")");
    }

    // ---- messages ----

    private Result append(Append c) throws IOException, InterruptedException {
        List<NewMessage> messages = new ArrayList<>();
        for (AppendMessage m : c.messages()) {
            Literal body = m.message();
            if (body.size() > limits.maxLiteralSize()) return Result.no("TOOBIG", "Message too large");
            Flags flags;
            try {
                flags = flagsOf(m.flags());
            } catch (IllegalArgumentException e) {
                return Result.bad("Invalid flag: " + e.getMessage());
            }
            BodySource storable;
            try {
                storable = BinaryAppend.storable(body);
            } catch (BinaryAppend.UnstorableException e) {
                return Result.no("UNKNOWN-CTE", "Cannot store this binary message: " + e.getMessage()); // RFC 3516 §4.3
            }
            messages.add(new NewMessage(storable, flags, m.internalDate() != null ? m.internalDate() : Instant.now()));
        }
        Results.AppendResult r;
        try {
            r = store.append(c.mailbox(), messages);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT) return Result.no("TRYCREATE", "No such mailbox");
            throw e;
        }
        if (selected != null && selected.id.equals(r.mailbox())) awaitOwnChange(r.modSeq().value(), true);
        return Result.ok("APPENDUID " + r.uidValidity() + " " + uidSet(r.uids()), "APPEND completed");
    }

    /** Flags as the store takes them; \Recent is per session and silently dropped (RFC 9051 §2.3.2). */
    private static Flags flagsOf(List<String> names) {
        List<String> kept = new ArrayList<>();
        for (String n : names) {
            if (n.equalsIgnoreCase("\\Recent")) continue;
            if (n.equals("\\*")) throw new IllegalArgumentException("\\*");
            kept.add(n);
        }
        return Flags.of(kept);
    }

    private Result idle(String tag) throws IOException, SessionEnd, InterruptedException {
        out.line("+ idling");
        sync(true);
        out.flush();
        conn.setIdleTimeout(limits.idleCommandTimeout());
        java.lang.Thread readerThread = java.lang.Thread.ofVirtual().name("imap-idle-" + conn.id()).start(() -> {
            try {
                byte[] line = conn.input().readCommandLine(limits.maxLineLength());
                events.offer(new Done(new String(line, StandardCharsets.US_ASCII), null));
            } catch (IOException e) {
                events.offer(new Done(null, e));
            }
        });
        Done done;
        while (true) {
            if (fenced != null) {
                byeFenced();
                throw new SessionEnd();
            }
            Object ev;
            busy.unlock(); // waiting: shutdown may write
            try {
                ev = events.take();
            } finally {
                busy.lock();
            }
            if (ev instanceof Done d) {
                done = d;
                break;
            }
            if (ev == SHUTDOWN) {
                bye("Server shutting down");
                throw new SessionEnd();
            }
            apply(ev, true);
            out.flush();
        }
        readerThread.join();
        conn.setIdleTimeout(limits.idleTimeout());
        if (done.error() != null) throw done.error();
        if (!done.line().equalsIgnoreCase("DONE")) return Result.bad("Expected DONE");
        return Result.ok("IDLE terminated");
    }

    private Result expunge(Expunge c) throws IOException, InterruptedException {
        if (selected.readOnly) return Result.no("READ-ONLY", "Mailbox is read-only");
        long[] uids = deletedUids(c.uids());
        if (uids.length > 0) {
            Results.ExpungeResult r = store.expunge(selected.id, uidList(uids));
            if (!r.expunged().isEmpty()) awaitOwnChange(r.modSeq().value(), true);
        }
        if (qresync && uids.length > 0) return Result.ok("HIGHESTMODSEQ " + selected.toldModSeq(), "EXPUNGE completed");
        return Result.ok("EXPUNGE completed");
    }

    /** UIDs with \Deleted among this session's messages (optionally within a UID set). */
    private long[] deletedUids(SequenceSet uidSet) {
        MailboxSnapshot snap = selected.view.snapshot();
        long[] candidates = uidSet == null ? selected.resolve(SequenceSet.of(new long[] {1, SequenceSet.STAR}), false)
                : selected.resolve(resolveSaved(uidSet, true), true);
        long[] out = new long[candidates.length];
        int n = 0;
        for (long u : candidates) {
            int i = snap.indexOf(Uid.of(u));
            if (i >= 0 && snap.flags(i).has(Flags.DELETED)) out[n++] = u;
        }
        return Arrays.copyOf(out, n);
    }

    /** Replaces {@code $} by the saved search result (RFC 5182), as UIDs or MSNs. */
    private SequenceSet resolveSaved(SequenceSet set, boolean uid) {
        if (!set.isSaved()) return set;
        if (uid) return savedSearch.length == 0 ? SequenceSet.of(new long[0]) : SequenceSet.ofNumbers(savedSearch);
        long[] msns = Arrays.stream(savedSearch).map(u -> selected.msnOf(u)).filter(m -> m > 0).sorted().toArray();
        return SequenceSet.ofNumbers(msns);
    }

    /** Resolves a command's set to UIDs; null when it names MSNs that do not exist (BAD). */
    private long[] targetUids(SequenceSet set, boolean uid) {
        SequenceSet s = resolveSaved(set, uid);
        if (!uid && !set.isSaved() && !selected.validMsns(s)) return null;
        return selected.resolve(s, uid);
    }

    private Result search(String tag, Search c) throws IOException, InterruptedException {
        if (c.charset() != null && !supportedCharset(c.charset())) {
            return Result.no("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset");
        }
        if (mentions(c.key(), SearchKey.ModSeq.class)) enableCondStore();
        SelectedMailbox sm = selected;
        long[] saved = savedSearch;
        Searcher.Outcome r = heavy(b -> new Searcher(store, b).search(sm, c.key(), saved));
        boolean esearch = c.esearch() || rev2;
        Set<String> ret = c.returnOptions().isEmpty() ? Set.of("ALL") : c.returnOptions();
        if (ret.contains("SAVE")) savedSearch = r.uids();
        long[] numbers = c.uid() ? r.uids() : Arrays.stream(r.uids()).map(u -> selected.msnOf(u)).filter(m -> m > 0).sorted().toArray();
        if (!esearch) {
            StringBuilder sb = new StringBuilder("* SEARCH");
            for (long n : numbers) sb.append(' ').append(n);
            if (r.usedModSeq() && numbers.length > 0) sb.append(" (MODSEQ ").append(r.highestModSeq()).append(')');
            out.line(sb.toString());
        } else if (!(ret.size() == 1 && ret.contains("SAVE"))) {
            StringBuilder sb = new StringBuilder("* ESEARCH (TAG ");
            out.raw(sb.toString()).string(tag).raw(")");
            sb.setLength(0);
            if (c.uid()) sb.append(" UID");
            if (numbers.length > 0) {
                if (ret.contains("MIN")) sb.append(" MIN ").append(numbers[0]);
                if (ret.contains("MAX")) sb.append(" MAX ").append(numbers[numbers.length - 1]);
                if (ret.contains("ALL")) sb.append(" ALL ").append(SequenceSet.ofNumbers(numbers));
            }
            if (ret.contains("COUNT")) sb.append(" COUNT ").append(numbers.length);
            if (r.usedModSeq() && numbers.length > 0) sb.append(" MODSEQ ").append(esearchModSeq(ret, r));
            out.line(sb.toString());
        }
        return Result.ok("SEARCH completed");
    }

    /**
     * RFC 4731 §3.2: with MIN and/or MAX alone the MODSEQ is that of the message(s) they return
     * (the higher of the two); with ALL or COUNT, the highest of every match.
     */
    private long esearchModSeq(Set<String> ret, Searcher.Outcome r) {
        if (ret.contains("ALL") || ret.contains("COUNT")) return r.highestModSeq();
        long[] uids = r.uids();
        long min = Arrays.stream(uids).min().orElseThrow(), max = Arrays.stream(uids).max().orElseThrow();
        // the view the Searcher just matched in; a change since can only raise a MODSEQ
        MailboxSnapshot snap = selected.view.snapshot();
        long modSeq = 0;
        for (long u : ret.contains("MIN") && ret.contains("MAX") ? new long[] {min, max} : ret.contains("MIN") ? new long[] {min} : new long[] {max}) {
            int i = snap.indexOf(Uid.of(u));
            if (i >= 0) modSeq = Math.max(modSeq, snap.modSeq(i).value());
        }
        return modSeq > 0 ? modSeq : r.highestModSeq();
    }

    /** Whether a search key holds a key of this kind anywhere (walked without recursion: keys come from the wire). */
    static boolean mentions(SearchKey key, Class<? extends SearchKey> kind) {
        java.util.ArrayDeque<SearchKey> todo = new java.util.ArrayDeque<>();
        todo.push(key);
        while (!todo.isEmpty()) {
            SearchKey k = todo.pop();
            if (kind.isInstance(k)) return true;
            switch (k) {
                case SearchKey.Not n -> todo.push(n.key());
                case SearchKey.Or o -> {
                    todo.push(o.a());
                    todo.push(o.b());
                }
                case SearchKey.And a -> a.keys().forEach(todo::push);
                default -> { }
            }
        }
        return false;
    }

    private static boolean supportedCharset(String name) {
        try {
            return java.nio.charset.Charset.isSupported(name);
        } catch (RuntimeException illegalName) {
            return false;
        }
    }

    private Result sortOrThread(String charset, HeavyCommands.Work<String> computation, String name)
            throws IOException, InterruptedException {
        if (!supportedCharset(charset)) return Result.no("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset");
        String answer;
        try {
            answer = heavy(computation);
        } catch (IllegalArgumentException e) {
            return Result.bad(e.getMessage());
        }
        out.line("* " + name + answer);
        return Result.ok(name + " completed");
    }

    /** Maps a UID to what the command speaks: itself or its MSN. */
    long number(long uid, boolean uidCommand) { return uidCommand ? uid : selected.msnOf(uid); }

    private Result fetch(Fetch c) throws IOException, InterruptedException, SessionEnd {
        long[] uids = targetUids(c.set(), c.uid());
        if (uids == null) return Result.bad("Invalid message sequence number");
        if (c.vanished() && !qresync) return Result.bad("Enable QRESYNC first");
        boolean modSeqItems = c.changedSince() >= 0 || c.items().stream().anyMatch(i -> i instanceof FetchItem.ModSeq);
        if (modSeqItems) enableCondStore();
        if (c.vanished()) {
            List<Long> vanished = new ArrayList<>();
            long max = selected.maxUid();
            for (Results.Tombstone t : store.expungedSince(selected.id, c.changedSince())) {
                if (c.set().contains(t.uid().value(), Math.max(max, t.uid().value()))) vanished.add(t.uid().value());
            }
            if (!vanished.isEmpty()) {
                out.line("* VANISHED (EARLIER) " + SequenceSet.ofNumbers(vanished.stream().mapToLong(Long::longValue).sorted().distinct().toArray()));
            }
        }
        // Non-PEEK body sections set \Seen first (RFC 9051 §6.4.5), so the response shows it.
        boolean setsSeen = !selected.readOnly && c.items().stream().anyMatch(i ->
                (i instanceof FetchItem.Body b && !b.peek()) || (i instanceof FetchItem.Binary bin && !bin.peek())
                        || (i instanceof FetchItem.Rfc822 r && r.kind() != dev.cairn.imap.syntax.Section.Kind.HEADER));
        Set<Long> seenNow = new java.util.HashSet<>();
        if (setsSeen) {
            MailboxSnapshot snap = selected.view.snapshot();
            List<Uid> unseen = new ArrayList<>();
            for (long u : uids) {
                int i = snap.indexOf(Uid.of(u));
                if (i >= 0 && !snap.flags(i).has(Flags.SEEN)) unseen.add(Uid.of(u));
            }
            if (!unseen.isEmpty()) {
                Results.StoreFlagsResult r = store.storeFlags(selected.id, unseen, Results.FlagOp.ADD, Flags.of("\\Seen"), java.util.OptionalLong.empty());
                for (Results.FlagUpdate f : r.updated()) seenNow.add(f.uid().value());
                if (r.modSeq() > 0) {
                    // the FETCH below shows the new flags, in place of this change's own report
                    suppressFlagsModSeq = r.modSeq();
                    awaitOwnChange(r.modSeq(), c.uid());
                }
            }
        }
        SelectedMailbox sm = selected;
        MailboxSnapshot snap = caughtUp(c.uid());
        boolean modSeqs = condStore;
        HeavyCommands.Work<Result> work = b -> new FetchResponder(store, out, b).fetch(sm, snap, uids, c.items(), c.uid(), modSeqs,
                c.changedSince(), seenNow);
        return FetchResponder.isHeavy(c.items(), uids.length) ? server.heavy().stream(user, work) : work.run(HeavyCommands.Budget.NONE);
    }

    /** Runs a CPU-heavy computation as {@link HeavyCommands} says, this thread parked meanwhile. */
    private <T> T heavy(HeavyCommands.Work<T> work) throws IOException, InterruptedException {
        return server.heavy().compute(user, work);
    }

    private Result storeFlags(Store c) throws IOException, InterruptedException, SessionEnd {
        if (selected.readOnly) return Result.no("READ-ONLY", "Mailbox is read-only");
        long[] uids = targetUids(c.set(), c.uid());
        if (uids == null) return Result.bad("Invalid message sequence number");
        Flags flags;
        try {
            flags = flagsOf(c.flags());
        } catch (IllegalArgumentException e) {
            return Result.bad("Invalid flag: " + e.getMessage());
        }
        if (c.unchangedSince() >= 0) enableCondStore();
        Results.FlagOp op = switch (c.op()) {
            case ADD -> Results.FlagOp.ADD;
            case REMOVE -> Results.FlagOp.REMOVE;
            case REPLACE -> Results.FlagOp.REPLACE;
        };
        if (uids.length == 0) return Result.ok("STORE completed");
        Results.StoreFlagsResult r = store.storeFlags(selected.id, uidList(uids), op, flags,
                c.unchangedSince() >= 0 ? java.util.OptionalLong.of(c.unchangedSince()) : java.util.OptionalLong.empty());
        // RFC 7162 §3.1.3: with UNCHANGEDSINCE the FETCH goes out even for .SILENT
        boolean report = !c.silent() || c.unchangedSince() >= 0;
        if (r.modSeq() > 0) {
            // The change itself is told as any other session's is, in commit order among theirs:
            // a FETCH of it written out of that order could come after a newer state (RFC 7162 §3.1).
            if (!report) suppressFlagsModSeq = r.modSeq();
            awaitOwnChange(r.modSeq(), c.uid());
        }
        if (report) {
            // every other message the STORE named gets its FETCH too, as it is now (RFC 9051 §6.4.6;
            // those that failed UNCHANGEDSINCE as RFC 7162 §3.1.3 recommends)
            Set<Long> told = new java.util.HashSet<>();
            for (Results.FlagUpdate f : r.updated()) if (f.modSeq().value() == r.modSeq()) told.add(f.uid().value());
            MailboxSnapshot snap = caughtUp(c.uid());
            for (long uid : uids) {
                int msn = selected.msnOf(uid);
                if (msn == 0 || told.contains(uid) || selected.pendingExpunges.contains(uid)) continue;
                int i = snap.indexOf(Uid.of(uid));
                if (i >= 0) writeFlagsFetch(msn, uid, snap.flags(i), snap.modSeq(i).value(), true);
            }
        }
        if (!r.modified().isEmpty()) {
            long[] mod = r.modified().stream().mapToLong(u -> c.uid() ? u.value() : selected.msnOf(u.value()))
                    .filter(v -> v > 0).sorted().toArray();
            return Result.ok("MODIFIED " + SequenceSet.ofNumbers(mod), "Conditional STORE failed for some messages");
        }
        return Result.ok("STORE completed");
    }

    private Result copyOrMove(boolean uid, SequenceSet set, String destination, boolean move) throws IOException, InterruptedException {
        if (move && selected.readOnly) return Result.no("READ-ONLY", "Mailbox is read-only");
        long[] uids = targetUids(set, uid);
        if (uids == null) return Result.bad("Invalid message sequence number");
        if (store.mailbox(destination).isEmpty()) return Result.no("TRYCREATE", "No such mailbox");
        if (uids.length == 0) return Result.ok((move ? "MOVE" : "COPY") + " completed");
        Results.CopyResult r = move ? store.move(selected.id, uidList(uids), destination)
                : store.copy(selected.id, uidList(uids), destination);
        String copyUid = r.sourceUids().isEmpty() ? null
                : "COPYUID " + r.uidValidity() + " " + uidSet(r.sourceUids()) + " " + uidSet(r.destinationUids());
        if (move) {
            // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges
            if (copyUid != null) out.line("* OK [" + copyUid + "] Moved");
            awaitOwnChange(r.modSeq().value(), true);
            // RFC 6851 §4.4: with QRESYNC, a MOVE that moved something ends with the new HIGHESTMODSEQ
            if (qresync && !r.sourceUids().isEmpty()) return Result.ok("HIGHESTMODSEQ " + selected.toldModSeq(), "MOVE completed");
            return Result.ok("MOVE completed");
        }
        if (r.destination().equals(selected.id)) awaitOwnChange(r.modSeq().value(), true);
        return copyUid == null ? Result.ok("COPY completed") : Result.ok(copyUid, "COPY completed");
    }

    /** UIDs in the compact set form of UIDPLUS responses, keeping the pairwise order of COPYUID. */
    private static String uidSet(List<Uid> uids) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < uids.size()) {
            int j = i;
            while (j + 1 < uids.size() && uids.get(j + 1).value() == uids.get(j).value() + 1) j++;
            if (sb.length() > 0) sb.append(',');
            sb.append(uids.get(i).value());
            if (j > i) sb.append(':').append(uids.get(j).value());
            i = j + 1;
        }
        return sb.toString();
    }

    private static List<Uid> uidList(long[] uids) {
        List<Uid> l = new ArrayList<>(uids.length);
        for (long u : uids) l.add(Uid.of(u));
        return l;
    }

    // ---- reporting changes (RFC 9051 §7.5.1, RFC 7162 §3.2.10) ----

    /** Reports every queued change; expunges only when the command allows them. */
    private void sync(boolean allowExpunge) throws IOException, SessionEnd {
        if (selected == null) {
            events.removeIf(e -> !(e instanceof Done) && e != SHUTDOWN && e != FENCED);
            return;
        }
        if (allowExpunge) flushExpunges();
        Object ev;
        while ((ev = events.poll()) != null) apply(ev, allowExpunge);
        if (selected == null) return;
        reportExists(selected);
        if (condStore && !selected.pendingExpunges.isEmpty()) {
            // RFC 7162 §3.2: MODSEQ data may have gone out above an expunge that still waits
            out.line("* OK [HIGHESTMODSEQ " + selected.toldModSeq() + "] Expunges follow");
        }
    }

    /**
     * The selected mailbox's latest state, once the client has been told every change it holds
     * (expunges wait where the command forbids them): what is reported from it is never older
     * than what was told before, so a message's MODSEQ only grows in what the client sees (RFC
     * 7162 §3.1). The changes newer than it stay queued for later, in order.
     */
    private MailboxSnapshot caughtUp(boolean allowExpunge) throws IOException, SessionEnd {
        SelectedMailbox sm = selected;
        MailboxSnapshot latest = sm.attachment.latest();
        long upTo = latest.info().highestModSeq();
        Object ev;
        while ((ev = events.peek()) != null && !(ev instanceof Done)) {
            if (ev instanceof SelectedMailbox.Event e && e.source() == sm && e.change().highestModSeq() > upTo) break;
            events.poll();
            apply(ev, allowExpunge);
        }
        return latest;
    }

    /** RFC 7162 §3.1: the first CONDSTORE enabling command with a mailbox selected is answered with its HIGHESTMODSEQ. */
    private void enableCondStore() throws IOException {
        if (condStore) return;
        condStore = true;
        if (selected != null) out.line("* OK [HIGHESTMODSEQ " + selected.toldModSeq() + "] Highest");
    }

    /** EXISTS when the count changed, with RECENT in IMAP4rev1 (RFC 3501 §7.3.2). */
    private void reportExists(SelectedMailbox sm) throws IOException {
        if (sm.count() == sm.reportedExists) return;
        out.line("* " + sm.count() + " EXISTS");
        if (sm.tracksRecent()) out.line("* " + sm.recentCount() + " RECENT");
        sm.reportedExists = sm.count();
    }

    /** Waits until this session has seen the change it made itself (so the order of reports stays the commit order). */
    private void awaitOwnChange(long modSeq, boolean allowExpunge) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + OWN_CHANGE_WAIT.toNanos();
        try {
            if (allowExpunge) flushExpunges();
            while (selected != null && selected.seenModSeq < modSeq) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.warn("imap {}: change {} was not reported by the store in time", conn.id(), modSeq);
                    return;
                }
                Object ev = events.poll(left, TimeUnit.NANOSECONDS);
                if (ev == null) continue;
                if (ev instanceof Done) {
                    events.offer(ev);
                    return;
                }
                apply(ev, allowExpunge);
            }
        } catch (SessionEnd e) {
            throw new IOException("session ended", e);
        }
    }

    private void apply(Object ev, boolean allowExpunge) throws IOException, SessionEnd {
        if (!(ev instanceof SelectedMailbox.Event e) || e.source() != selected) return;
        SelectedMailbox sm = selected;
        if (sm.overflowed) {
            bye("Too many changes waiting for this session; please reconnect");
            throw new SessionEnd();
        }
        MailboxChange change = e.change();
        sm.seenModSeq = Math.max(sm.seenModSeq, change.highestModSeq());
        switch (change) {
            case MailboxChange.Appended a -> {
                for (var m : a.messages()) {
                    sm.announceKeywords(m.flags(), out);
                    sm.append(m.uid().value());
                }
                if (sm.tracksRecent() && !a.messages().isEmpty()) claimRecent(sm, a.messages());
                reportExists(sm);
            }
            case MailboxChange.Expunged x -> {
                boolean nonePending = sm.pendingExpunges.isEmpty();
                for (Uid u : x.uids()) if (sm.msnOf(u.value()) > 0) sm.pendingExpunges.add(u.value());
                if (nonePending) sm.pendingExpungeModSeq = change.highestModSeq();
                if (allowExpunge) flushExpunges();
            }
            case MailboxChange.FlagsChanged f -> {
                if (change.highestModSeq() == suppressFlagsModSeq) return;
                for (Results.FlagUpdate u : f.updates()) {
                    int msn = sm.msnOf(u.uid().value());
                    if (msn == 0 || sm.pendingExpunges.contains(u.uid().value())) continue;
                    writeFlagsFetch(msn, u.uid().value(), u.flags(), u.modSeq().value(), true);
                }
            }
            case MailboxChange.Renamed r -> sm.name = r.newName();
            case MailboxChange.Deleted d -> {
                bye("Selected mailbox was deleted");
                throw new SessionEnd();
            }
        }
    }

    /**
     * New messages this session is told of first are recent here (RFC 3501 §2.3.2): a read-write
     * selection claims them, a read-only one shows those nobody claimed and takes none.
     */
    private void claimRecent(SelectedMailbox sm, List<dev.cairn.store.MessageRecord> messages) {
        long first = messages.getFirst().uid().value(), limit = messages.getLast().uid().value() + 1;
        try {
            long from = sm.readOnly ? store.firstUnclaimedRecent(sm.id) : store.claimRecent(sm.id, limit);
            sm.addRecent(Math.max(first, from), limit);
        } catch (StoreException gone) {
            // the mailbox was deleted meanwhile: its Deleted change follows
        }
    }

    private void flushExpunges() throws IOException {
        SelectedMailbox sm = selected;
        if (sm == null || sm.pendingExpunges.isEmpty()) return;
        if (qresync) {
            long[] v = sm.pendingExpunges.stream().mapToLong(Long::longValue).toArray();
            for (long u : v) sm.remove(u);
            out.line("* VANISHED " + SequenceSet.ofNumbers(v));
        } else {
            // highest first, so no MSN shifts under the ones still to report
            for (Long u : sm.pendingExpunges.descendingSet()) {
                int msn = sm.remove(u);
                if (msn > 0) out.line("* " + msn + " EXPUNGE");
            }
        }
        sm.pendingExpunges.clear();
        sm.reportedExists = sm.count();
    }

    private void writeFlagsFetch(int msn, long uid, Flags flags, long modSeq, boolean withUid) throws IOException {
        selected.announceKeywords(flags, out);
        out.raw("* " + msn + " FETCH (");
        if (withUid) out.raw("UID " + uid + " ");
        out.raw("FLAGS " + selected.flagList(uid, flags));
        if (condStore) out.raw(" MODSEQ (" + modSeq + ")");
        out.line(")");
    }

    private Result storeFailure(StoreException e, ImapCommand command) {
        return switch (e.reason()) {
            case NO_SUCH_USER -> Result.no("UNAVAILABLE", "Account not available here");
            case NONEXISTENT -> Result.no("NONEXISTENT", messageOr(e, "No such mailbox"));
            case ALREADY_EXISTS -> Result.no("ALREADYEXISTS", messageOr(e, "Mailbox already exists"));
            case INVALID_NAME -> Result.no("CANNOT", messageOr(e, "Invalid mailbox name"));
            case CANNOT -> Result.no("CANNOT", messageOr(e, "Not possible"));
            case TOO_BIG -> Result.no("TOOBIG", messageOr(e, "Message too large"));
            case OVER_QUOTA -> Result.no("OVERQUOTA", messageOr(e, "Quota exceeded"));
            case UNAVAILABLE -> Result.no("UNAVAILABLE", messageOr(e, "Try again later"));
            case INVALID_ARGUMENT -> Result.bad(messageOr(e, "Invalid arguments to " + command.name()));
        };
    }

    private static String messageOr(StoreException e, String fallback) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return fallback;
        return m.replace('\r', ' ').replace('\n', ' ');
    }
}
