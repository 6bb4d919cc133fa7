// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A front-end's login on a back-end for one of its users (issue 21): the front-end (a node in
 * unified mode, or `cairn proxy`) checked the user's password itself, then opens a session on the
 * master of the user's store as itself, for the user.
 *
 * <p>On the wire it is SASL PLAIN (RFC 4616): authorization identity = the user, authentication
 * identity = {@value #IDENTITY}, password = {@link #password(byte[], String)}, an HMAC-SHA256 of
 * the user name under the cluster secret: the secret never crosses the connection, a captured
 * password opens one user's mail and only from a trusted peer, and the back-end spends an HMAC on
 * it, not a password hash. A back-end accepts it ({@link #check}) only
 * <ul>
 *   <li>from an address in its trusted networks (loopback when unset),</li>
 *   <li>over TLS, or from loopback (a password in clear crosses no network),</li>
 *   <li>with the right password for that user (compared in constant time).</li>
 * </ul>
 * Every other client that names {@value #IDENTITY} gets the normal refusal (IMAP NO
 * [AUTHENTICATIONFAILED], POP3 -ERR [AUTH]), counted by the throttle like any failed login; the
 * reason is for the server's log only.
 *
 * @param secret          the cluster secret
 * @param trustedNetworks where proxy logins may come from
 */
public record ProxyLogin(byte[] secret, List<Network> trustedNetworks) {
    /** The authentication identity of a front-end: ':' is never in a directory user name. */
    public static final String IDENTITY = "cairn:proxy";

    public ProxyLogin {
        Objects.requireNonNull(secret);
        trustedNetworks = List.copyOf(trustedNetworks);
    }

    /** The proxy password for a user: hex HMAC-SHA256(secret, "cairn proxy login" NUL user). */
    public static String password(byte[] secret, String user) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update("cairn proxy login\0".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from the JDK", e);
        }
    }

    /**
     * Whether a login as {@value #IDENTITY} for {@code authzid} is accepted from this peer: null
     * when it is, else why not (for the log only).
     *
     * @param remote the peer's address (null for a Unix socket: refused, no network is trusted for it)
     * @param secure whether the connection is encrypted
     */
    public String refusal(InetAddress remote, boolean secure, String password, String authzid) {
        if (authzid == null || authzid.isEmpty()) return "no authorization identity";
        if (remote == null || trustedNetworks.stream().noneMatch(n -> n.contains(remote))) return "untrusted address";
        if (!secure && !remote.isLoopbackAddress()) return "not over TLS from off loopback";
        if (password == null || !MessageDigest.isEqual(password.getBytes(StandardCharsets.UTF_8),
                password(secret, authzid).getBytes(StandardCharsets.UTF_8))) return "wrong proxy password";
        return null;
    }

    /**
     * The whole check of a proxy login, to run as the throttle's verification: the peer and the
     * password ({@link #refusal}), then the user ({@link Authenticator#proxied}: exists, not
     * disabled). A refusal is {@link AuthResult.Reason#INVALID_CREDENTIALS} whatever its reason,
     * which is in the detail for the log.
     */
    public AuthResult check(Authenticator directory, InetAddress remote, boolean secure, String password, String authzid) {
        String refused = refusal(remote, secure, password, authzid);
        if (refused != null) return AuthResult.invalid("proxy login refused: " + refused);
        AuthResult user = directory.proxied(authzid);
        if (user instanceof AuthResult.Failure f && f.reason() != AuthResult.Reason.TEMPORARY_FAILURE) {
            return AuthResult.invalid("proxy login refused for the user: " + f.reason() + " " + f.detail());
        }
        return user;
    }
}
