// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.ImapSession.Result;
import dev.cairn.imap.ImapSession.SessionEnd;
import dev.cairn.imap.ImapSession.State;
import dev.cairn.imap.syntax.ImapCommand.*;
import dev.cairn.protocol.auth.AuthLog;
import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.ProxyLogin;
import dev.cairn.protocol.relay.SessionRoute;
import dev.cairn.protocol.auth.Sasl;
import dev.cairn.protocol.auth.SaslException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What concerns the connection rather than the mail: CAPABILITY's list, LOGIN and AUTHENTICATE
 * (RFC 9051 §6.2; every attempt through the node's throttle), the read-only verification login,
 * STARTTLS, COMPRESS=DEFLATE (RFC 4978) and ENABLE (RFC 5161).
 */
final class ConnectionCommands {
    private static final Logger log = LoggerFactory.getLogger(ConnectionCommands.class);

    private final ImapSession s;

    ConnectionCommands(ImapSession s) {
        this.s = s;
    }

    private boolean plaintextAuthRefused() {
        return !s.conn.isSecure() && !s.conn.isLoopback() && !s.server.config().plaintextAuthAllowedFrom(s.conn.remoteInetAddress());
    }

    String capabilities() {
        StringBuilder sb = new StringBuilder("IMAP4rev1 IMAP4rev2");
        if (s.state == State.NOT_AUTHENTICATED) {
            if (s.server.config().tls() != null && s.conn.canStartTls()) sb.append(" STARTTLS");
            if (plaintextAuthRefused()) sb.append(" LOGINDISABLED");
            else sb.append(" AUTH=PLAIN AUTH=LOGIN");
            sb.append(" SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE");
            return sb.toString();
        }
        sb.append(" LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CONDSTORE QRESYNC")
                .append(" SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS CHILDREN")
                .append(" ESEARCH SEARCHRES WITHIN SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES STATUS=SIZE MULTIAPPEND BINARY")
                .append(" APPENDLIMIT=").append(s.limits.maxLiteralSize())
                .append(" QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE ACL RIGHTS=texk OBJECTID SAVEDATE UTF8=ACCEPT");
        if (!s.compressed) sb.append(" COMPRESS=DEFLATE");
        return sb.toString();
    }

    Result startTls(String tag) throws IOException {
        if (s.server.config().tls() == null || !s.conn.canStartTls()) return Result.bad("STARTTLS not available here");
        s.conn.startTls(s.server.config().tls(), (tag + " OK Begin TLS negotiation now\r\n").getBytes(StandardCharsets.US_ASCII),
                Duration.ofSeconds(30));
        return null;
    }

    Result authenticate(Authenticate c) throws IOException, SessionEnd, InterruptedException {
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
            s.server.throttle().failed(attempt(c.mechanism(), null), AuthLog.Reason.BAD_SASL);
            return Result.bad("Invalid SASL response: " + e.getMessage());
        }
    }

    private String challenge(String base64) throws IOException {
        s.out.line("+ " + base64);
        s.out.flush();
        return new String(s.conn.input().readLine(Sasl.MAX_RESPONSE_CHARS, false).bytes(), StandardCharsets.US_ASCII);
    }

    private AuthThrottle.Attempt attempt(String mechanism, String name) {
        return new AuthThrottle.Attempt("imap", mechanism, name, s.conn.remoteInetAddress());
    }

    /** Every login goes through the node's throttle, which also logs it (RFC 9051 §6.2.2, §6.2.3). */
    Result login(String mechanism, String name, String password, String authzid) throws IOException, InterruptedException {
        if (plaintextAuthRefused()) return Result.no("PRIVACYREQUIRED", "Use TLS before logging in");
        VerifyAccess verify = s.server.config().verifyAccess();
        if (verify != null && VerifyAccess.IDENTITY.equals(name)) return verifyLogin(verify, mechanism, password, authzid);
        ProxyLogin proxy = s.server.config().proxyLogin();
        // only SASL PLAIN carries an authorization identity; a LOGIN as cairn:proxy meets the directory, which refuses it
        if (proxy != null && ProxyLogin.IDENTITY.equals(name) && mechanism.equals("PLAIN")) return proxyLogin(proxy, password, authzid);
        java.net.InetAddress remote = s.conn.remoteInetAddress();
        boolean secure = s.conn.isSecure();
        AuthResult r = s.server.throttle().check(attempt(mechanism, name),
                () -> s.server.authenticator().authenticate(name, password, authzid, remote, secure));
        switch (r) {
            case AuthResult.Success ok -> {
                return switch (s.server.routes().route("imap", ok.user(), remote, secure)) {
                    case SessionRoute.Local l -> loggedIn(ok.user());
                    case SessionRoute.Relayed relayed -> {
                        // issue 21: the back-end's own answer (its CAPABILITY), then its bytes
                        s.relayed = relayed.session();
                        s.conn.setIdleTimeout(relayIdleTimeout());
                        s.conn.loggedIn();
                        log.info("imap {}: {} relayed to the master of its store", s.conn.id(), ok.user());
                        yield Result.verbatim(relayed.session().loginReply());
                    }
                    case SessionRoute.Unavailable u -> {
                        log.warn("imap {}: {} logged in but its store cannot be reached: {}", s.conn.id(), ok.user(), u.reason());
                        yield Result.no("UNAVAILABLE", "Mail store temporarily unavailable, try again later");
                    }
                };
            }
            case AuthResult.Failure f -> {
                if (f.reason() == AuthResult.Reason.TEMPORARY_FAILURE) return Result.no("UNAVAILABLE", "Try again later");
                return Result.no("AUTHENTICATIONFAILED", "Authentication failed");
            }
        }
    }

    /**
     * A relayed session's client stays silent as long as the back-end lets it (in IDLE up to its
     * IDLE timeout): the back-end enforces its own autologout, the front-end only the longer of
     * the two so it never cuts a session the back-end still holds.
     */
    private Duration relayIdleTimeout() {
        Duration a = s.limits.idleTimeout(), b = s.limits.idleCommandTimeout();
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The user is served here: open (or create) its store. */
    private Result loggedIn(String user) throws IOException {
        s.store = s.server.store().openOrCreateUser(user);
        s.user = user;
        s.state = State.AUTHENTICATED;
        s.badCommands = 0;
        s.conn.setIdleTimeout(s.limits.idleTimeout());
        s.conn.loggedIn();
        return Result.ok("CAPABILITY " + capabilities(), "Logged in");
    }

    /**
     * A front-end's login for one of its users ({@link ProxyLogin}; issue 21): checked by peer and
     * HMAC, not against the user's password, throttled like any login; every refusal is the normal
     * one. Always served here, never routed on (a relayed session relayed again could loop); where
     * the user's store is not mastered here, opening it answers NO [UNAVAILABLE] like any login.
     */
    private Result proxyLogin(ProxyLogin proxy, String password, String authzid) throws IOException, InterruptedException {
        java.net.InetAddress remote = s.conn.remoteInetAddress();
        boolean secure = s.conn.isSecure();
        // counted against the peer's address only: cairn:proxy is every front-end's (AuthThrottle.Attempt#perAccount)
        AuthThrottle.Attempt attempt = new AuthThrottle.Attempt("imap", "PLAIN", ProxyLogin.IDENTITY, remote, false);
        AuthResult r = s.server.throttle().check(attempt,
                () -> proxy.check(s.server.authenticator(), remote, secure, password, authzid));
        switch (r) {
            case AuthResult.Failure f -> {
                if (f.reason() == AuthResult.Reason.TEMPORARY_FAILURE) return Result.no("UNAVAILABLE", "Try again later");
                log.warn("imap {}: proxy login refused from {}: {}", s.conn.id(), remote.getHostAddress(), f.detail());
                return Result.no("AUTHENTICATIONFAILED", "Authentication failed");
            }
            case AuthResult.Success ok -> {
                Result result = loggedIn(ok.user());
                // the client's address as the front-end saw it, trusted only now that the peer proved to be a front-end
                log.info("imap {}: {} logged in through front-end {} for client {}", s.conn.id(), ok.user(),
                        remote.getHostAddress(), s.originatingIp == null ? "(not given)" : s.originatingIp);
                return result;
            }
        }
    }

    /**
     * ID (RFC 2971): remembers {@code x-originating-ip}, which a front-end sends before its proxy
     * login; used in the log only once that login succeeded.
     */
    Result id(Id c) throws IOException {
        List<String> fields = c.fields();
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            String value = fields.get(i + 1);
            if (fields.get(i).equalsIgnoreCase("x-originating-ip") && value != null && value.matches("[0-9a-fA-F:.]{1,45}")) {
                s.originatingIp = value;
            }
        }
        s.out.line("* ID (\"name\" \"" + ImapSession.SERVER_NAME + "\" \"vendor\" \"Cairn\")");
        return Result.ok("ID completed");
    }

    /**
     * A verification login (see {@link VerifyAccess}): not through the directory, so it works on a
     * replica, where user logins are refused. One answer for every failure, throttled like any.
     */
    private Result verifyLogin(VerifyAccess verify, String mechanism, String password, String authzid)
            throws IOException, InterruptedException {
        java.net.InetAddress remote = s.conn.remoteInetAddress();
        AuthResult checked = s.server.throttle().check(attempt(mechanism, VerifyAccess.IDENTITY), () -> {
            String refused = authzid == null || authzid.isEmpty() ? "no authorization identity"
                    : !verify.trusts(remote) ? "untrusted address"
                    : !verify.passwordMatches(password, authzid) ? "wrong password" : null;
            return refused == null ? AuthResult.success(VerifyAccess.IDENTITY) : AuthResult.invalid(refused);
        });
        if (checked instanceof AuthResult.Failure f) {
            if (f.reason() == AuthResult.Reason.TEMPORARY_FAILURE) return Result.no("UNAVAILABLE", "Try again later");
            log.warn("imap {}: verification login refused from {}: {}", s.conn.id(), remote.getHostAddress(), f.detail());
            return Result.no("AUTHENTICATIONFAILED", "Authentication failed");
        }
        // never openOrCreateUser: a verification must not create what it compares
        if (!s.server.store().hasUser(authzid)) return Result.no("NONEXISTENT", "No such user in this slot");
        s.store = s.server.store().user(authzid);
        s.user = authzid;
        s.verifyOnly = true;
        s.state = State.AUTHENTICATED;
        s.badCommands = 0;
        s.conn.setIdleTimeout(s.limits.idleTimeout());
        s.conn.loggedIn();
        log.info("imap {}: read-only verification login for {} from {}", s.conn.id(), authzid, remote.getHostAddress());
        return Result.ok("CAPABILITY " + capabilities(), "Logged in read-only for verification");
    }

    Result enable(Enable c) throws IOException {
        List<String> enabled = new ArrayList<>();
        for (String cap : c.capabilities()) {
            switch (cap) {
                case "IMAP4REV2" -> {
                    if (!s.rev2) enabled.add("IMAP4rev2");
                    s.rev2 = true;
                    setUtf8();
                    if (s.selected != null) s.selected.stopRecent(); // RFC 9051 has no \Recent
                }
                case "UTF8=ACCEPT" -> {
                    if (!s.utf8) enabled.add("UTF8=ACCEPT");
                    setUtf8();
                }
                case "CONDSTORE" -> {
                    if (!s.condStore) enabled.add("CONDSTORE");
                    s.reporter.enableCondStore();
                }
                case "QRESYNC" -> {
                    if (!s.qresync) enabled.add("QRESYNC");
                    s.qresync = true;
                    s.reporter.enableCondStore();
                }
                default -> { /* RFC 5161: unknown ones are ignored */ }
            }
        }
        s.out.line("* ENABLED" + (enabled.isEmpty() ? "" : " " + String.join(" ", enabled)));
        return Result.ok("ENABLE completed");
    }

    private void setUtf8() {
        s.utf8 = true;
        s.out.setUtf8(true);
    }

    Result compress(String tag, Compress c) throws IOException {
        if (s.compressed) return Result.no("COMPRESSIONACTIVE", "Already compressing");
        if (!c.mechanism().equals("DEFLATE")) return Result.bad("Unknown compression mechanism");
        s.out.line(tag + " OK DEFLATE active");
        s.out.flush();
        // RFC 4978 §4: raw DEFLATE both ways; a sync flush at every flush keeps responses prompt
        s.conn.installCompression(in -> new InflaterInputStream(in, new Inflater(true), 4096),
                o -> new SyncFlushDeflater(o));
        s.compressed = true;
        return null;
    }
}
