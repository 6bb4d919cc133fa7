// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.net.InetAddress;

/**
 * Checks credentials for IMAP, POP3 and the proxy. Implemented by the directory. Blocking; it
 * must answer the same way, in about the same time, for an unknown user and a wrong password.
 * The protocols call it only through {@link AuthThrottle#check}, which runs it on one of the
 * node's few check threads, after the client's penalties.
 */
@FunctionalInterface
public interface Authenticator {
    /**
     * @param authcid  the authentication identity (login name) as the client sent it
     * @param password the password
     * @param authzid  the authorization identity to act as, or null for "the same as authcid"
     * @param remote   the client's address (for policies and logs)
     * @param secure   whether the connection is encrypted
     */
    AuthResult authenticate(String authcid, String password, String authzid, InetAddress remote, boolean secure);

    /**
     * For a front-end's login for a user ({@link ProxyLogin}; the front-end checked the password):
     * success with the canonical name when {@code user} names an account that exists and may log
     * in, else the failure a login of that account would get. No password is checked. An
     * authenticator that cannot tell refuses, so a back-end without a directory accepts no proxy
     * login.
     */
    default AuthResult proxied(String user) {
        return AuthResult.invalid("this authenticator accepts no proxy logins");
    }
}
