// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import dev.cairn.protocol.Connection;
import dev.cairn.protocol.IdleTimeoutException;
import dev.cairn.protocol.LineTooLongException;
import dev.cairn.protocol.LoginTimeoutException;
import dev.cairn.protocol.NulInLineException;
import dev.cairn.protocol.TlsUpgrade;
import dev.cairn.protocol.auth.AuthLog;
import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.ProxyLogin;
import dev.cairn.protocol.relay.RelayedSession;
import dev.cairn.protocol.relay.SessionRoute;
import dev.cairn.protocol.relay.SessionRoutes;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.protocol.auth.Sasl;
import dev.cairn.protocol.auth.SaslException;
import dev.cairn.store.Flags;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One POP3 conversation (RFC 1939): AUTHORIZATION, TRANSACTION, then UPDATE at QUIT. */
final class Pop3Session {
    private static final Logger log = LoggerFactory.getLogger(Pop3Session.class);

    private final Pop3Config config;
    private final Function<String, UserStore> users;
    private final Authenticator authenticator;
    private final AuthThrottle throttle;
    private final Pop3Locks locks;
    private final dev.cairn.protocol.CommandMeters commands;
    private final SessionRoutes routes;
    private final Connection c;

    private String pendingUser; // after USER, before PASS
    private volatile String user; // authenticated; volatile: a fence, on another thread, asks whose session this is
    private UserStore store;
    private Maildrop maildrop;
    private int badCommands;
    /** Held except while waiting for the client's next line, so {@link #fenced} never writes into a reply. */
    private final java.util.concurrent.locks.ReentrantLock busy = new java.util.concurrent.locks.ReentrantLock();
    /** Why the store stopped taking writes here (another node is its master now); null while it takes them. */
    private volatile String fenced;
    private boolean fencedSaid;

    /** The authenticated user, or null. */
    String user() { return user; }

    private static final class Hangup extends Exception {
        Hangup() { super(null, null, false, false); }
    }

    Pop3Session(Pop3Config config, Function<String, UserStore> users, Authenticator authenticator, AuthThrottle throttle,
                Pop3Locks locks, dev.cairn.protocol.CommandMeters commands, SessionRoutes routes, Connection c) {
        this.config = config;
        this.routes = routes;
        this.commands = commands;
        this.users = users;
        this.authenticator = authenticator;
        this.throttle = throttle;
        this.locks = locks;
        this.c = c;
    }

    void run() throws IOException {
        busy.lock();
        try {
            c.setIdleTimeout(config.limits().preAuthIdleTimeout());
            ok("Cairn POP3 ready");
            while (true) {
                if (fencedOut()) return;
                if (c.input().buffered() == 0) c.flush();
                String line;
                try {
                    line = new String(readLine(), StandardCharsets.UTF_8);
                } catch (LineTooLongException e) {
                    bad("Line too long");
                    continue;
                } catch (NulInLineException e) {
                    bad("NUL character in command");
                    continue;
                }
                Pop3Command command;
                try {
                    command = Pop3Parser.parse(line);
                } catch (Pop3SyntaxException e) {
                    commands.record(null, 0);
                    bad(e.getMessage());
                    continue;
                }
                long start = System.nanoTime();
                boolean goOn;
                try {
                    goOn = maildrop == null ? authorization(command) : transaction(command);
                } finally {
                    commands.record(Pop3Server.name(command), System.nanoTime() - start);
                }
                if (!goOn) return;
            }
        } catch (LoginTimeoutException e) {
            err("Disconnected: no login within " + config.connectionLimits().loginTimeout().toSeconds() + " seconds");
            c.flush();
        } catch (IdleTimeoutException e) {
            err("Disconnected for inactivity");
            c.flush();
        } catch (Hangup e) {
            c.flush();
        } finally {
            busy.unlock();
            if (user != null) locks.release(user, this);
        }
    }

    private byte[] readLine() throws IOException {
        busy.unlock(); // waiting: fenced() may answer now
        try {
            return c.readCommandLine(config.limits().maxLineLength());
        } finally {
            busy.lock();
        }
    }

    /**
     * The store got another master (epoch fencing, issue 5): a logged-in session gets -ERR
     * [SYS/TEMP] (RFC 3206 §4: temporary, try later) and is closed, now if it waits for a command,
     * else after the command it runs; it never reaches UPDATE. One not logged in goes on: its
     * login is refused while the store is fenced.
     */
    void fenced(String reason) {
        fenced = reason;
        busy.lock(); // blocks while a command runs (call it on a thread of its own); the session ends itself after it
        try {
            if (maildrop != null) {
                fencedOut();
                c.close(); // wakes the thread reading the next command
            } else {
                fenced = null;
            }
        } catch (IOException ignored) {
            // the peer is gone
        } finally {
            busy.unlock();
        }
    }

    /** Under {@link #busy}: true (and the -ERR sent) when this logged-in session must end. */
    private boolean fencedOut() throws IOException {
        String reason = fenced;
        if (reason == null || maildrop == null) return false;
        if (!fencedSaid) {
            fencedSaid = true;
            err("[SYS/TEMP] " + reason.replace('\r', ' ').replace('\n', ' '));
            c.flush();
        }
        return true;
    }

    // ---- AUTHORIZATION state (RFC 1939 §4) ----

    private boolean authorization(Pop3Command command) throws IOException, Hangup {
        switch (command) {
            case Pop3Command.Capa capa -> capa();
            case Pop3Command.User u -> {
                if (!plaintextAllowed()) {
                    bad("[AUTH] Plaintext authentication disallowed on non-secure connections");
                } else {
                    pendingUser = u.name();
                    ok("Send PASS");
                }
            }
            case Pop3Command.Pass p -> {
                if (pendingUser == null) {
                    bad("Send USER first");
                } else {
                    String name = pendingUser;
                    pendingUser = null;
                    if (!login("USER-PASS", name, p.password(), null)) return false;
                }
            }
            case Pop3Command.Auth a -> {
                if (!auth(a)) return false;
            }
            case Pop3Command.Stls s -> stls();
            case Pop3Command.Quit q -> {
                ok("Bye");
                c.flush();
                return false;
            }
            default -> bad("Not allowed before login");
        }
        return true;
    }

    private boolean plaintextAllowed() {
        return c.isSecure() || c.isLoopback() || config.plaintextAuthAllowedFrom(c.remoteInetAddress());
    }

    private void capa() throws IOException {
        ok("Capability list follows");
        line("TOP");
        line("UIDL");
        line("RESP-CODES");
        line("AUTH-RESP-CODE");
        line("PIPELINING");
        line("EXPIRE NEVER");
        line("IMPLEMENTATION Cairn");
        if (maildrop == null) {
            if (plaintextAllowed()) {
                line("USER");
                line("SASL PLAIN LOGIN");
            }
            if (config.tls() != null && c.canStartTls()) line("STLS");
        }
        line(".");
    }

    private void stls() throws IOException, Hangup {
        if (config.tls() == null) {
            bad("STLS not available");
            return;
        }
        if (!c.canStartTls()) {
            bad("Already using TLS");
            return;
        }
        TlsUpgrade upgrade = c.startTls(config.tls(), "+OK Begin TLS negotiation\r\n".getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(30));
        if (upgrade.injectionAttempted()) {
            log.warn("pop3 {}: discarded {} octets pipelined after STLS (command injection?)", c.id(), upgrade.discardedPlaintextOctets());
        }
        pendingUser = null; // RFC 2595 §4: forget what was said before TLS
    }

    /** AUTH (RFC 5034): PLAIN (RFC 4616) and LOGIN; with or without an initial response. False: the session was relayed and is over. */
    private boolean auth(Pop3Command.Auth a) throws IOException, Hangup {
        if (a.mechanism() == null) {
            ok("Mechanisms follow"); // the pre-RFC 5034 listing that older clients use
            if (plaintextAllowed()) {
                line("PLAIN");
                line("LOGIN");
            }
            line(".");
            return true;
        }
        if (!plaintextAllowed()) {
            bad("[AUTH] Plaintext authentication disallowed on non-secure connections");
            return true;
        }
        try {
            switch (a.mechanism()) {
                case "PLAIN" -> {
                    String response = a.initialResponse() != null ? a.initialResponse() : challenge("");
                    if (response == null) return true;
                    Sasl.Credentials credentials = Sasl.decodePlain(response);
                    return login("PLAIN", credentials.authcid(), credentials.password(), credentials.authzid());
                }
                case "LOGIN" -> {
                    String first = a.initialResponse() != null ? a.initialResponse() : challenge(Sasl.LOGIN_USERNAME_CHALLENGE);
                    if (first == null) return true;
                    String name = Sasl.decodeLoginField(first);
                    String second = challenge(Sasl.LOGIN_PASSWORD_CHALLENGE);
                    if (second == null) return true;
                    return login("LOGIN", name, Sasl.decodeLoginField(second), null);
                }
                default -> bad("Unsupported authentication mechanism");
            }
        } catch (SaslException e) {
            throttle.failed(attempt(a.mechanism(), null), AuthLog.Reason.BAD_SASL);
            err("[AUTH] Invalid SASL response");
        }
        return true;
    }

    /** Sends "+ challenge" and reads the client's line; null (after replying) when it cancels. */
    private String challenge(String challenge) throws IOException, Hangup {
        c.writeLine("+ " + challenge);
        c.flush();
        String response;
        try {
            response = new String(c.readCommandLine(config.limits().maxLineLength()), StandardCharsets.US_ASCII);
        } catch (LineTooLongException | NulInLineException e) {
            bad("[AUTH] Invalid SASL response");
            return null;
        }
        if (Sasl.isCancel(response)) {
            err("Authentication cancelled");
            return null;
        }
        return response;
    }

    private AuthThrottle.Attempt attempt(String mechanism, String authcid) {
        return new AuthThrottle.Attempt("pop3", mechanism, authcid, c.remoteInetAddress());
    }

    /**
     * Every login goes through the node's throttle, which also logs it (RFC 1939 §7, RFC 5034 §4).
     * False when the session was relayed to the user's back-end and is over (issue 21).
     */
    private boolean login(String mechanism, String authcid, String password, String authzid) throws IOException {
        java.net.InetAddress remote = c.remoteInetAddress();
        boolean secure = c.isSecure();
        ProxyLogin proxy = config.proxyLogin();
        // a front-end's login for its user: served here, never routed on (a relayed session relayed again could loop)
        boolean proxied = proxy != null && ProxyLogin.IDENTITY.equals(authcid) && mechanism.equals("PLAIN");
        AuthResult result;
        try {
            // a proxy login counts against the peer's address only: cairn:proxy is every front-end's (Attempt#perAccount)
            result = proxied
                    ? throttle.check(new AuthThrottle.Attempt("pop3", mechanism, ProxyLogin.IDENTITY, remote, false),
                            () -> proxy.check(authenticator, remote, secure, password, authzid))
                    : throttle.check(attempt(mechanism, authcid), () -> authenticator.authenticate(authcid, password, authzid, remote, secure));
            switch (result) {
                case AuthResult.Failure f -> {
                    if (proxied) log.warn("pop3 {}: proxy login refused from {}: {}", c.id(), remote.getHostAddress(), f.detail());
                    // RFC 3206 §4: SYS/TEMP for the directory down or a login refused unchecked
                    if (f.reason() == AuthResult.Reason.TEMPORARY_FAILURE) err("[SYS/TEMP] Authentication service unavailable, try again later");
                    else err("[AUTH] Authentication failed");
                }
                case AuthResult.Success s when proxied -> open(s.user());
                case AuthResult.Success s -> {
                    return route(s.user(), remote, secure);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during the login delay");
        }
        return true;
    }

    /** Where the authenticated user is served (issue 21): here, relayed to its back-end, or not now. */
    private boolean route(String canonicalUser, java.net.InetAddress remote, boolean secure) throws IOException, InterruptedException {
        switch (routes.route("pop3", canonicalUser, remote, secure)) {
            case SessionRoute.Local l -> open(canonicalUser);
            case SessionRoute.Unavailable u -> {
                log.warn("pop3 {}: {} logged in but its store cannot be reached: {}", c.id(), canonicalUser, u.reason());
                if (u.reply() != null) line(u.reply()); // the back-end's own -ERR (its [IN-USE])
                else err("[SYS/TEMP] Mailbox temporarily unavailable, try again later");
            }
            case SessionRoute.Relayed relayed -> {
                // the back-end's +OK, then its bytes both ways; no reply of this session's own after it
                try (RelayedSession session = relayed.session()) {
                    c.setIdleTimeout(config.limits().idleTimeout());
                    c.loggedIn();
                    c.writeLine(session.loginReply());
                    c.flush();
                    log.info("pop3 {}: {} relayed to the master of its store", c.id(), canonicalUser);
                    busy.unlock(); // relaying: a fence here has nothing to end
                    try {
                        session.relay(c);
                    } finally {
                        busy.lock();
                    }
                }
                return false;
            }
        }
        return true;
    }

    private void open(String canonicalUser) throws IOException {
        if (!locks.acquire(canonicalUser, this)) {
            err("[IN-USE] Mailbox is locked by another POP3 session");
            return;
        }
        try {
            store = users.apply(canonicalUser);
            maildrop = Maildrop.load(store);
        } catch (StoreException e) {
            locks.release(canonicalUser, this);
            store = null;
            log.warn("pop3 {}: opening the mailbox of {} failed: {} {}", c.id(), canonicalUser, e.reason(), e.getMessage());
            err("[SYS/TEMP] Mailbox temporarily unavailable, try again later");
            return;
        }
        user = canonicalUser;
        c.setIdleTimeout(config.limits().idleTimeout());
        c.loggedIn();
        badCommands = 0;
        log.info("pop3 {}: {} logged in from {} ({} messages)", c.id(), user, c.remoteInetAddress().getHostAddress(), maildrop.count());
        ok("Logged in, " + maildrop.count() + " messages");
    }

    // ---- TRANSACTION state (RFC 1939 §5) ----

    private boolean transaction(Pop3Command command) throws IOException, Hangup {
        switch (command) {
            case Pop3Command.Capa capa -> capa();
            case Pop3Command.Stat stat -> ok(maildrop.visibleCount() + " " + maildrop.visibleSize());
            case Pop3Command.List list -> {
                if (list.message() == 0) {
                    ok(maildrop.visibleCount() + " messages (" + maildrop.visibleSize() + " octets)");
                    for (int n = 1; n <= maildrop.count(); n++) if (maildrop.visible(n)) line(n + " " + maildrop.size(n));
                    line(".");
                } else if (message(list.message())) {
                    ok(list.message() + " " + maildrop.size(list.message()));
                }
            }
            case Pop3Command.Uidl uidl -> {
                if (uidl.message() == 0) {
                    ok("Unique-ID listing follows");
                    for (int n = 1; n <= maildrop.count(); n++) if (maildrop.visible(n)) line(n + " " + maildrop.uidl(n));
                    line(".");
                } else if (message(uidl.message())) {
                    ok(uidl.message() + " " + maildrop.uidl(uidl.message()));
                }
            }
            case Pop3Command.Retr retr -> {
                if (message(retr.message())) send(retr.message(), -1);
            }
            case Pop3Command.Top top -> {
                if (message(top.message())) send(top.message(), top.lines());
            }
            case Pop3Command.Dele dele -> {
                if (message(dele.message())) {
                    maildrop.delete(dele.message());
                    ok("Marked to be deleted");
                }
            }
            case Pop3Command.Rset rset -> {
                maildrop.undeleteAll();
                ok(maildrop.visibleCount() + " messages");
            }
            case Pop3Command.Noop noop -> ok("");
            case Pop3Command.Quit quit -> {
                update();
                // Unlock before the reply leaves: a client that reconnects at once must not see [IN-USE].
                locks.release(user, this);
                c.flush();
                return false;
            }
            case Pop3Command.User u -> bad("Already logged in");
            case Pop3Command.Pass p -> bad("Already logged in");
            case Pop3Command.Auth a -> bad("Already logged in");
            case Pop3Command.Stls s -> bad("STLS only before login");
        }
        return true;
    }

    /** Whether message {@code n} may be used; answers -ERR if not. */
    private boolean message(int n) throws IOException, Hangup {
        if (!maildrop.exists(n)) {
            bad("No such message");
            return false;
        }
        if (maildrop.isDeleted(n)) {
            err("Message " + n + " is deleted");
            return false;
        }
        return true;
    }

    private void send(int n, long bodyLines) throws IOException {
        InputStream body;
        try {
            body = store.openBody(maildrop.body(n));
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT) {
                // Expunged by an IMAP session since login, and its body is gone with it.
                err("Message " + n + " no longer exists");
            } else {
                log.warn("pop3 {}: reading message {} (UID {}) of {} failed: {}", c.id(), n, maildrop.uid(n), user, e.toString());
                err("[SYS/TEMP] Message cannot be read now");
            }
            return;
        } catch (IOException e) {
            log.warn("pop3 {}: reading message {} (UID {}) of {} failed: {}", c.id(), n, maildrop.uid(n), user, e.toString());
            err("[SYS/TEMP] Message cannot be read now");
            return;
        }
        try (body) {
            ok(bodyLines < 0 ? maildrop.size(n) + " octets" : "Top of message follows");
            DotStuffing.copy(body, c.output(), bodyLines);
            line(".");
        }
        if (bodyLines < 0) maildrop.markRetrieved(n);
    }

    /** UPDATE state (RFC 1939 §6): expunge what was deleted, mark what was retrieved \Seen. */
    private void update() throws IOException {
        List<Uid> deleted = maildrop.deletedUids();
        try {
            List<Uid> seen = maildrop.retrievedKeptUids();
            if (!seen.isEmpty()) store.storeFlags(maildrop.inbox.id(), seen, FlagOp.ADD, Flags.of("\\Seen"), OptionalLong.empty());
            if (!deleted.isEmpty()) store.expunge(maildrop.inbox.id(), deleted);
        } catch (StoreException e) {
            log.warn("pop3 {}: UPDATE for {} failed: {} {}", c.id(), user, e.reason(), e.getMessage());
            err("[SYS/TEMP] Deleted messages were not removed, try again later");
            return;
        }
        ok("Logging out, " + deleted.size() + " messages deleted");
    }

    // ---- replies ----

    private void bad(String message) throws IOException, Hangup {
        err(message);
        int limit = maildrop == null ? config.limits().maxBadCommandsPreAuth() : config.limits().maxBadCommands();
        if (++badCommands > limit) {
            err("Too many bad commands, closing connection");
            throw new Hangup();
        }
    }

    private void ok(String text) throws IOException { c.writeLine(text.isEmpty() ? "+OK" : "+OK " + text); }

    private void err(String text) throws IOException { c.writeLine("-ERR " + text); }

    private void line(String text) throws IOException { c.writeLine(text); }
}
