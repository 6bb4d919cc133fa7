// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.Directory;
import dev.cairn.directory.DirectoryException;
import dev.cairn.directory.Login;
import dev.cairn.directory.UserNames;
import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.Authenticator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * Logins of IMAP, POP3 and the proxy, checked against the directory. Counts outcomes in
 * {@code cairn_directory_logins_total{result=...}} (per protocol: {@code cairn_auth_attempts_total}, {@link NodeMetrics}). Never logs the password.
 */
public final class DirectoryAuthenticator implements Authenticator {
    private static final Logger log = LoggerFactory.getLogger(DirectoryAuthenticator.class);

    private final Directory directory;
    private final Counter success;
    private final Counter invalid;
    private final Counter disabled;
    private final Counter denied;
    private final Counter unavailable;

    public DirectoryAuthenticator(Directory directory, MeterRegistry meters) {
        this.directory = directory;
        this.success = counter(meters, "success");
        this.invalid = counter(meters, "invalid_credentials");
        this.disabled = counter(meters, "disabled");
        this.denied = counter(meters, "authorization_denied");
        this.unavailable = counter(meters, "unavailable");
    }

    private static Counter counter(MeterRegistry meters, String result) {
        return Counter.builder("cairn.directory.logins").description("logins checked against the directory, by result")
                .tag("result", result).register(meters);
    }

    @Override
    public AuthResult authenticate(String authcid, String password, String authzid, InetAddress remote, boolean secure) {
        char[] secret = password == null ? null : password.toCharArray();
        Login login;
        try {
            login = directory.login(authcid, secret);
        } catch (DirectoryException e) {
            unavailable.increment();
            log.warn("auth: directory unavailable: {}", e.getMessage());
            return new AuthResult.Failure(AuthResult.Reason.TEMPORARY_FAILURE, e.getMessage());
        } finally {
            if (secret != null) {
                Arrays.fill(secret, '\0');
            }
        }
        return switch (login.outcome()) {
            case INVALID_CREDENTIALS -> {
                invalid.increment();
                yield AuthResult.invalid("unknown user or wrong password for '" + printable(authcid) + "' from " + remote);
            }
            case DISABLED -> {
                disabled.increment();
                yield new AuthResult.Failure(AuthResult.Reason.DISABLED, "account " + login.user().orElseThrow() + " is disabled");
            }
            case SUCCESS -> {
                String user = login.user().orElseThrow();
                // Acting as another user (SASL authzid, RFC 4422 section 2) needs admin rights
                // the directory does not model yet: only "the same user" is allowed.
                if (authzid != null && !authzid.isEmpty() && !sameUser(authzid, user)) {
                    denied.increment();
                    yield new AuthResult.Failure(AuthResult.Reason.AUTHORIZATION_DENIED,
                            user + " may not act as '" + printable(authzid) + "'");
                }
                success.increment();
                yield AuthResult.success(user);
            }
        };
    }

    /** A front-end's login for {@code user} (ProxyLogin): the account must exist and not be disabled. */
    @Override
    public AuthResult proxied(String user) {
        if (user == null || !UserNames.isValid(user)) {
            return AuthResult.invalid("proxy login for an invalid user name '" + printable(user) + "'");
        }
        try {
            return directory.user(UserNames.canonical(user))
                    .map(u -> u.disabled()
                            ? new AuthResult.Failure(AuthResult.Reason.DISABLED, "account " + u.name() + " is disabled")
                            : AuthResult.success(u.name()))
                    .orElseGet(() -> AuthResult.invalid("proxy login for unknown user '" + printable(user) + "'"));
        } catch (DirectoryException e) {
            unavailable.increment();
            log.warn("auth: directory unavailable: {}", e.getMessage());
            return new AuthResult.Failure(AuthResult.Reason.TEMPORARY_FAILURE, e.getMessage());
        }
    }

    private boolean sameUser(String authzid, String user) {
        if (UserNames.isValid(authzid) && UserNames.canonical(authzid).equals(user)) {
            return true;
        }
        return directory.resolve(authzid).map(r -> r.user().equals(user)).orElse(false);
    }

    private static String printable(String s) {
        if (s == null) {
            return "";
        }
        String cut = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
