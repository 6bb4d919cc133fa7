// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The bearer token of the admin endpoints that nodes, and {@code cairn} run with any node's
 * config, call on another node: derived from the cluster secret every node has, so the caller
 * needs no file of the callee's data directory. It opens only the endpoints registered behind it
 * ({@link MoveAdmin}'s node-to-node steps, {@link DrainAdmin}'s switch), never the node's own
 * ({@code /check}, {@code /delete-user}, {@code /reload}, ...).
 */
public final class ClusterToken {
    private ClusterToken() {}

    /** HMAC-SHA256 of a fixed text under the cluster secret, base64url. */
    public static String of(byte[] secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal("cairn cluster admin v1".getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
