// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.syntax.CommandParser;
import dev.cairn.imap.syntax.CommandReader;
import dev.cairn.imap.syntax.ImapCommand;
import dev.cairn.imap.syntax.ImapCommand.*;
import dev.cairn.imap.syntax.ParseException;
import dev.cairn.imap.syntax.RawCommand;
import dev.cairn.imap.syntax.ResponseWriter;
import dev.cairn.protocol.Connection;
import dev.cairn.protocol.IdleTimeoutException;
import dev.cairn.protocol.InputOverrunException;
import dev.cairn.protocol.LoginTimeoutException;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IMAP connection: the read loop, the busy lock that keeps shutdown and fencing out of the
 * middle of a response, the state check ({@link CommandRules}) and the exhaustive dispatch. Each
 * command family's work is in a room of its own ({@link ConnectionCommands}, {@link
 * MailboxCommands}, {@link MessageCommands}, {@link SearchCommands}, {@link AclQuotaCommands});
 * {@link ChangeReporter} tells other sessions' changes at the moments RFC 9051 §7.5.1 allows.
 * The rooms work on this session's fields, which are theirs to share.
 */
final class ImapSession {
    private static final Logger log = LoggerFactory.getLogger(ImapSession.class);
    static final String SERVER_NAME = "Cairn";
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
        /** An answer made elsewhere (a back-end's, for a relayed login), after the tag as it is. */
        static Result verbatim(String answer) { return new Result(answer, null, null); }
    }

    /** Ends the session after the current response (BYE already sent). */
    static final class SessionEnd extends Exception {
        SessionEnd() { super(null, null, false, false); }
    }

    /** What the IDLE reader thread read (DONE, or the failure), queued among the changes. */
    record Done(String line, IOException error) {}

    /** Queued by {@link #shutdown} to wake a session waiting in IDLE. */
    static final Object SHUTDOWN = new Object();
    /** Queued by {@link #fenced} to wake a session waiting in IDLE. */
    static final Object FENCED = new Object();

    final ImapServer server;
    final ImapConfig.Limits limits;
    final Connection conn;
    final ResponseWriter out;
    private final CommandReader reader;
    final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    State state = State.NOT_AUTHENTICATED;
    UserStore store;
    /** Volatile: a fence, on another thread, asks whose session this is. */
    volatile String user;
    /** Logged in by `cairn replica verify` ({@link VerifyAccess}): nothing may change. */
    boolean verifyOnly;
    /** The client's address a front-end named in ID (x-originating-ip), for the log of its proxy login. */
    String originatingIp;
    /** Set by a login relayed to the user's back-end (issue 21): the session hands its connection over. */
    dev.cairn.protocol.relay.RelayedSession relayed;
    SelectedMailbox selected;
    boolean rev2, utf8, condStore, qresync, compressed;
    int badCommands;
    long[] savedSearch = new long[0];
    /** MODSEQ of this session's own silent flag change, whose FETCH the client must not get. */
    long suppressFlagsModSeq = -1;
    private String currentTag;
    /** The command being handled, for its meter; null until it parses. */
    private String commandName;
    /** Held while the session writes, so that {@link #shutdown} never writes into the middle of a response. */
    private final java.util.concurrent.locks.ReentrantLock busy = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.atomic.AtomicBoolean byeSent = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean shuttingDown;
    /** Why the store stopped taking writes here (another node is its master now); null while it takes them. */
    private volatile String fenced;
    // the rooms: each command family's work, on this session's state
    final ChangeReporter reporter;
    final ConnectionCommands connection;
    final MailboxCommands mailboxes;
    final AclQuotaCommands aclQuota;
    final MessageCommands messages;
    final SearchCommands searches;

    ImapSession(ImapServer server, Connection conn) {
        this.server = server;
        this.limits = server.config().limits();
        this.conn = conn;
        this.out = new ResponseWriter(conn::output);
        this.reader = new CommandReader(new CommandReader.Limits(limits.maxLineLength(), limits.maxLiteralSize(),
                limits.maxLiterals(), limits.spoolThreshold(), server.config().spoolDirectory(), limits.maxCommandMemory()),
                server.memory());
        this.reporter = new ChangeReporter(this);
        this.connection = new ConnectionCommands(this);
        this.mailboxes = new MailboxCommands(this);
        this.aclQuota = new AclQuotaCommands(this);
        this.messages = new MessageCommands(this);
        this.searches = new SearchCommands(this);
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
                out.line("* OK [CAPABILITY " + connection.capabilities() + "] " + SERVER_NAME + " ready");
                out.flush();
            } finally {
                busy.unlock();
            }
            while (state != State.LOGOUT) {
                if (!step()) break;
            }
            if (relayed != null) relay();
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
            if (relayed != null) relayed.close(); // also when the client left before the relay began
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
     * Hands the connection to the back-end session (issue 21) until either side closes: no BYE of
     * this session's own, the back-end's (a logout, or BYE [UNAVAILABLE] when its store moves)
     * passes through. Not one of the server's sessions meanwhile: no fence or shutdown here writes
     * into the relayed stream.
     */
    private void relay() throws IOException {
        server.sessions().remove(this);
        byeSent.set(true);
        try (dev.cairn.protocol.relay.RelayedSession session = relayed) {
            session.relay(conn);
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
            if (CommandRules.authenticated(state)) {
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

    void bye(String text) {
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
            }, CommandRules.authenticated(state));
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
            if (relayed != null) {
                out.flush();
                return false; // run() relays, outside the busy lock
            }
            if (shuttingDown) {
                bye("Server shutting down");
                throw new SessionEnd();
            }
            if (fenced != null && CommandRules.authenticated(state)) {
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
            if (!CommandRules.allowed(command, state)) {
                out.line(tagged.tag() + " BAD " + CommandRules.wrongStateText(command, state));
                countBad();
                return true;
            }
            Result result;
            try {
                result = verifyOnly && CommandRules.writes(command)
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
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            if (result != null) {
                reporter.sync(CommandRules.expungeAllowed(command));
                out.line(result.text() == null ? tagged.tag() + " " + result.status()
                        : tagged.tag() + " " + result.status() + (result.code() != null ? " [" + result.code() + "] " : " ") + result.text());
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


    // ---- dispatch: one exhaustive switch, each family's work in its room ----

    private Result execute(String tag, ImapCommand command) throws IOException, SessionEnd, InterruptedException {
        return switch (command) {
            case Capability c -> {
                out.line("* CAPABILITY " + connection.capabilities());
                yield Result.ok("CAPABILITY completed");
            }
            case Noop c -> Result.ok("NOOP completed");
            case Logout c -> {
                out.line("* BYE Logging out");
                state = State.LOGOUT;
                out.line(tag + " OK LOGOUT completed");
                yield null;
            }
            case Id c -> connection.id(c);
            case StartTls c -> connection.startTls(tag);
            case Authenticate c -> connection.authenticate(c);
            case Login c -> connection.login("LOGIN-COMMAND", c.user(), c.password(), null);
            case Enable c -> connection.enable(c);
            case Compress c -> connection.compress(tag, c);
            case Select c -> mailboxes.select(c.mailbox(), verifyOnly, c.condStore(), c.qresync());
            case Examine c -> mailboxes.select(c.mailbox(), true, c.condStore(), c.qresync());
            case Create c -> mailboxes.create(c);
            case Delete c -> mailboxes.delete(c);
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
            case ListCommand c -> MailboxLister.write(heavy(b -> new MailboxLister(store, b).list(c)), out, mailboxes::writeStatus);
            case Lsub c -> MailboxLister.write(heavy(b -> new MailboxLister(store, b).lsub(c)), out, mailboxes::writeStatus);
            case Namespace c -> {
                out.line("* NAMESPACE ((\"\" \"/\")) NIL NIL");
                yield Result.ok("NAMESPACE completed");
            }
            case Status c -> mailboxes.status(c);
            case Idle c -> idle();
            case Check c -> Result.ok("CHECK completed");
            case Unselect c -> {
                mailboxes.unselect();
                yield Result.ok("UNSELECT completed");
            }
            case Close c -> messages.close();
            case Append c -> messages.append(c);
            case Expunge c -> messages.expunge(c);
            case Fetch c -> messages.fetch(c);
            case Store c -> messages.storeFlags(c);
            case Copy c -> messages.copyOrMove(c.uid(), c.set(), c.mailbox(), false);
            case Move c -> messages.copyOrMove(c.uid(), c.set(), c.mailbox(), true);
            case Search c -> searches.search(tag, c);
            case Sort c -> searches.sort(c);
            case ThreadCommand c -> searches.thread(c);
            case GetQuota c -> aclQuota.getQuota(c);
            case GetQuotaRoot c -> aclQuota.getQuotaRoot(c);
            case SetQuota c -> Result.no("NOPERM", "Quotas are set by the administrator");
            case GetAcl c -> aclQuota.getAcl(c);
            case SetAcl c -> aclQuota.setAcl(c.mailbox(), c.identifier(), c.rights());
            case DeleteAcl c -> aclQuota.setAcl(c.mailbox(), c.identifier(), "");
            case ListRights c -> aclQuota.listRights(c);
            case MyRights c -> aclQuota.myRights(c);
        };
    }

    // ---- IDLE (RFC 9051 §6.3.13): waits on the queue the change reporter reads, outside the busy lock ----

    private Result idle() throws IOException, SessionEnd, InterruptedException {
        out.line("+ idling");
        reporter.sync(true);
        out.flush();
        conn.setIdleTimeout(limits.idleCommandTimeout());
        Thread readerThread = Thread.ofVirtual().name("imap-idle-" + conn.id()).start(() -> {
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
            reporter.apply(ev, true);
            out.flush();
        }
        readerThread.join();
        conn.setIdleTimeout(limits.idleTimeout());
        if (done.error() != null) throw done.error();
        if (!done.line().equalsIgnoreCase("DONE")) return Result.bad("Expected DONE");
        return Result.ok("IDLE terminated");
    }

    /** Runs a CPU-heavy computation as {@link HeavyCommands} says, this thread parked meanwhile. */
    <T> T heavy(HeavyCommands.Work<T> work) throws IOException, InterruptedException {
        return server.heavy().compute(user, work);
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
