// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import dev.cairn.protocol.auth.Network;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The read-only login of `cairn replica verify`, which must see a user's mailboxes over IMAP on
 * the master and on every replica (where users cannot log in).
 *
 * <p>The tool authenticates with SASL PLAIN (RFC 4616): authorization identity = the user,
 * authentication identity = {@value #IDENTITY}, password = {@link #password(byte[], String)}, an
 * HMAC-SHA256 of the user name under the cluster secret. So the secret itself never crosses the
 * IMAP connection, and a captured password opens one user's mail, read-only, from a trusted
 * address only. The login is accepted only
 * <ul>
 *   <li>from an address in {@link #trustedNetworks} (`[imap] trusted_networks`; loopback when unset),</li>
 *   <li>with the right password for that user (compared in constant time),</li>
 *   <li>for a user this slot holds (else NO [NONEXISTENT]; the user is never created).</li>
 * </ul>
 * Every failure answers NO [AUTHENTICATIONFAILED], whatever the reason, and counts in the auth
 * throttle like any failed login. The session it opens is read-only on master and replica
 * alike: SELECT acts as EXAMINE (RFC 9051 §6.3.2: [READ-ONLY]), every command that would change
 * something answers NO [UNAVAILABLE], and FETCH never sets \Seen.
 *
 * @param secret          the cluster secret (the replication one)
 * @param trustedNetworks where verification logins may come from
 */
public record VerifyAccess(byte[] secret, List<Network> trustedNetworks) {
    /** The authentication identity of verification logins: ':' is never in a directory user name. */
    public static final String IDENTITY = "cairn:verify";

    public VerifyAccess {
        Objects.requireNonNull(secret);
        trustedNetworks = List.copyOf(trustedNetworks);
    }

    /** Loopback only: 127.0.0.0/8 and ::1. */
    public static final List<Network> LOOPBACK = Network.LOOPBACK;

    /** The verification password for a user: hex HMAC-SHA256(secret, "cairn imap verify" NUL user). */
    public static String password(byte[] secret, String user) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update("cairn imap verify\0".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from the JDK", e);
        }
    }

    boolean trusts(InetAddress remote) {
        return remote != null && trustedNetworks.stream().anyMatch(n -> n.contains(remote));
    }

    boolean passwordMatches(String password, String user) {
        return password != null && MessageDigest.isEqual(password.getBytes(StandardCharsets.UTF_8),
                password(secret, user).getBytes(StandardCharsets.UTF_8));
    }
}
