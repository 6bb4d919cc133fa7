// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Remembers, for a while, that a password matched a stored hash, so that a client that logs in
 * again and again (a phone polling, a webmail opening a connection per request, 10,000 IDLE
 * connections reconnecting after a restart) costs one Argon2id verification, not one per login.
 * Dovecot's auth cache serves the same purpose.
 *
 * <p>Keyed by the stored hash string itself: it holds a fresh salt, so a password change (or a
 * re-hash) makes every old entry unreachable at once, without any invalidation. The value is an
 * HMAC of the password under a key that lives only in this process's memory, never the password.
 * Only successes are remembered; failures always pay the full hash (and the throttle).
 */
final class VerifiedPasswords {
    private record Remembered(byte[] mac, Instant expires) {}

    private final int capacity;
    private final Duration ttl;
    private final Clock clock;
    private final SecretKeySpec key;
    private final Map<String, Remembered> entries;

    VerifiedPasswords(int capacity, Duration ttl, Clock clock) {
        this.capacity = capacity;
        this.ttl = ttl;
        this.clock = clock;
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<String, Remembered> eldest) {
                return size() > VerifiedPasswords.this.capacity;
            }
        };
    }

    /** 100,000 entries for 10 minutes: what a directory keeps. */
    static VerifiedPasswords standard() {
        return new VerifiedPasswords(100_000, Duration.ofMinutes(10), Clock.systemUTC());
    }

    /** True if this password was verified against this exact stored hash within the TTL. */
    boolean matches(String storedHash, char[] password) {
        if (storedHash == null || password == null || capacity == 0) return false;
        Remembered entry;
        synchronized (entries) {
            entry = entries.get(storedHash);
            if (entry != null && !clock.instant().isBefore(entry.expires())) {
                entries.remove(storedHash);
                entry = null;
            }
        }
        return entry != null && MessageDigest.isEqual(entry.mac(), mac(password));
    }

    /** Called after a full verification succeeded. */
    void remember(String storedHash, char[] password) {
        if (storedHash == null || password == null || capacity == 0) return;
        Remembered entry = new Remembered(mac(password), clock.instant().plus(ttl));
        synchronized (entries) {
            entries.put(storedHash, entry);
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private byte[] mac(char[] password) {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(bytes);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        } finally {
            if (bytes.hasArray()) Arrays.fill(bytes.array(), (byte) 0);
        }
    }
}
