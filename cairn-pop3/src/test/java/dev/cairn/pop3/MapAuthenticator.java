// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.Authenticator;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Map;

/** The directory's job in tests: user names (case-insensitive) and passwords; "down" fails temporarily. */
final class MapAuthenticator implements Authenticator {
    private final Map<String, String> passwords;

    MapAuthenticator(Map<String, String> passwords) { this.passwords = passwords; }

    @Override public AuthResult authenticate(String authcid, String password, String authzid, InetAddress remote, boolean secure) {
        String user = authcid.toLowerCase(Locale.ROOT);
        if (user.equals("down")) return new AuthResult.Failure(AuthResult.Reason.TEMPORARY_FAILURE, "directory down");
        if (authzid != null && !authzid.equalsIgnoreCase(user)) return new AuthResult.Failure(AuthResult.Reason.AUTHORIZATION_DENIED, authzid);
        String expected = passwords.get(user);
        if (expected == null || !expected.equals(password)) return AuthResult.invalid("bad password for " + user);
        return AuthResult.success(user);
    }
}
