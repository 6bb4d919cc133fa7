// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.Authenticator;
import java.net.InetAddress;
import java.util.Set;

/**
 * The directory's job in these tests: every user "name" in {@link #USERS} has the password
 * "pw-name"; "dora" exists but is disabled. It answers front-ends' proxy logins like the
 * directory does (exists and enabled), with no password.
 */
final class TestDirectory implements Authenticator {
    static final Set<String> USERS = Set.of("alice", "bob", "carol", "dora");
    static final String DISABLED = "dora";

    @Override public AuthResult authenticate(String authcid, String password, String authzid, InetAddress remote, boolean secure) {
        if (!USERS.contains(authcid) || !("pw-" + authcid).equals(password)) return AuthResult.invalid("wrong password for " + authcid);
        if (authcid.equals(DISABLED)) return new AuthResult.Failure(AuthResult.Reason.DISABLED, authcid + " is disabled");
        if (authzid != null && !authzid.isEmpty() && !authzid.equals(authcid)) {
            return new AuthResult.Failure(AuthResult.Reason.AUTHORIZATION_DENIED, authzid);
        }
        return AuthResult.success(authcid);
    }

    @Override public AuthResult proxied(String user) {
        if (!USERS.contains(user)) return AuthResult.invalid("unknown user " + user);
        if (user.equals(DISABLED)) return new AuthResult.Failure(AuthResult.Reason.DISABLED, user + " is disabled");
        return AuthResult.success(user);
    }
}
