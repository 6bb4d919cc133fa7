// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/** One POP3 session per user at a time on this node (RFC 1939 §8 exclusive-access lock; RFC 2449 [IN-USE]). */
final class Pop3Locks {
    private final ConcurrentHashMap<String, Object> holders = new ConcurrentHashMap<>();

    boolean acquire(String user, Object session) {
        return holders.putIfAbsent(key(user), session) == null;
    }

    void release(String user, Object session) {
        holders.remove(key(user), session);
    }

    private static String key(String user) { return user.toLowerCase(Locale.ROOT); }
}
