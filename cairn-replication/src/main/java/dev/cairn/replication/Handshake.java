// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual authentication of two nodes over the shared cluster secret: each side sends a fresh
 * nonce and proves knowledge of the secret with an HMAC-SHA256 over both nonces, its role, the
 * store, the channel and the master's epoch, so a proof cannot be replayed on another connection,
 * store, channel or epoch, nor reflected back with the roles swapped.
 */
final class Handshake {
    private Handshake() {}

    static final int NONCE = 16;
    private static final SecureRandom random = new SecureRandom();

    static byte[] nonce() {
        byte[] b = new byte[NONCE];
        random.nextBytes(b);
        return b;
    }

    static byte[] replicaProof(byte[] secret, byte[] masterNonce, byte[] replicaNonce, String store, int channel, long epoch) {
        return mac(secret, "cairn-replication-1 replica", masterNonce, replicaNonce, store, channel, epoch);
    }

    static byte[] masterProof(byte[] secret, byte[] masterNonce, byte[] replicaNonce, String store, int channel, long epoch) {
        return mac(secret, "cairn-replication-1 master", replicaNonce, masterNonce, store, channel, epoch);
    }

    static boolean verify(byte[] expected, byte[] given) { return MessageDigest.isEqual(expected, given); }

    private static byte[] mac(byte[] secret, String role, byte[] first, byte[] second, String store, int channel, long epoch) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(role.getBytes(StandardCharsets.UTF_8));
            mac.update(first);
            mac.update(second);
            byte[] s = store.getBytes(StandardCharsets.UTF_8);
            mac.update(ByteBuffer.allocate(4).putInt(s.length).array());
            mac.update(s);
            mac.update(ByteBuffer.allocate(12).putInt(channel).putLong(epoch).array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
