// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * Warnings about replication connections, each naming the peer, at most one of a kind per
 * window (a minute): a flood of identical failures (a scanner, a peer that retries every 200 ms,
 * an attack) is counted instead of logged line by line, and the count goes out with the next
 * line of its kind, or when the node stops. A kind is a fixed text ("TLS handshake failed"), so
 * the map of kinds stays small whatever peers send.
 */
final class FailureLog {
    static final Duration WINDOW = Duration.ofMinutes(1);

    private final Logger log;
    private final long windowNanos;
    private final Map<String, Kind> kinds = new ConcurrentHashMap<>();

    private static final class Kind {
        boolean logged;
        long loggedAt;
        int notLogged;
    }

    FailureLog(Logger log) { this(log, WINDOW); }

    FailureLog(Logger log, Duration window) {
        this.log = log;
        this.windowNanos = window.toNanos();
    }

    /** An expected kind of failure (a refused peer, a closed connection): one line, no stack trace. */
    void warn(String kind, Object peer, String detail) { report(kind, peer, detail, null); }

    /** A failure nothing planned for (a bug, an Error): the first of its class is logged with its stack trace. */
    void unexpected(String where, Object peer, Throwable t) { report(where + ": " + t.getClass().getName(), peer, String.valueOf(t.getMessage()), t); }

    private void report(String kind, Object peer, String detail, Throwable t) {
        Kind k = kinds.computeIfAbsent(kind, x -> new Kind());
        int skipped;
        synchronized (k) {
            long now = System.nanoTime();
            if (k.logged && now - k.loggedAt < windowNanos) {
                k.notLogged++;
                return;
            }
            skipped = k.notLogged;
            k.notLogged = 0;
            k.logged = true;
            k.loggedAt = now;
        }
        detail = printable(detail);
        String more = skipped == 0 ? "" : " (" + skipped + " more like it since the last line, not logged)";
        if (t == null) log.warn("{} ({}): {}{}", kind, peer, detail, more);
        else log.warn("{} ({}): {}{}", kind, peer, detail, more, t);
    }

    /** Details carry what peers sent (store and node names): one line, control characters shown as '?', 300 characters at most. */
    static String printable(String s) {
        String line = s.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }

    /** Virtual threads named {@code name} whose uncaught failures are logged (not just printed to stderr). */
    static Thread.Builder.OfVirtual loggedThreads(Logger log, String name) {
        return Thread.ofVirtual().name(name).uncaughtExceptionHandler((t, e) -> log.error("replication thread {} failed", t.getName(), e));
    }

    /** Logs the counts not logged yet (when the node stops). */
    void flush() {
        kinds.forEach((kind, k) -> {
            int n;
            synchronized (k) {
                n = k.notLogged;
                k.notLogged = 0;
            }
            if (n > 0) log.warn("{}: {} more like it not logged", kind, n);
        });
    }
}
