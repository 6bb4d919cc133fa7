// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Logs a repeated warning or error once per window, then how often it repeated. One client can
 * make the same failure happen on every command (a StackOverflowError of 83 KB each time, 287 MB
 * of log in 10 s); the first occurrence is what an operator needs, with its trace, and after that
 * a count.
 *
 * <p>Two events are the same when they have the same logger, level, message template (the
 * pattern with its {} placeholders, not the formatted text, which names a connection), exception
 * class and top stack frame. The first of a window passes; the others of that window are dropped
 * and counted; when the window ends, a line "repeated N times in the last T s: template
 * [exception at frame]" is logged through the same logger, marked {@link #REPEATED} so this filter
 * lets it through. The next occurrence after that starts a new window and is logged in full.
 *
 * <p>Installed in logback.xml, so it covers every module's logging without their code knowing:
 * the protocols' per-connection failures (ConnectionServer, IMAP's "command failed", LMTP, POP3)
 * and the store's "no space left on" alike. INFO and below pass untouched. At most
 * {@link #setMaxTracked} different events are counted at once; past that, new kinds pass
 * unfiltered rather than be lost.
 */
public final class RepeatedErrorFilter extends TurboFilter {
    /** Marks the summary lines (and lets them through). */
    public static final Marker REPEATED = MarkerFactory.getMarker("REPEATED");

    private record Key(String logger, Level level, String template, String exception, String topFrame) {}

    /** One window of one kind of event. Guarded by itself. */
    private static final class Window {
        final long start;
        long suppressed;
        /** Reported and removed: later events start a new window. */
        boolean ended;

        Window(long start) { this.start = start; }
    }

    private final Map<Key, Window> windows = new ConcurrentHashMap<>();
    private long windowNanos = TimeUnit.SECONDS.toNanos(60);
    private int maxTracked = 1024;
    private Thread reporter;
    /** Tests: the clock windows are measured with. */
    java.util.function.LongSupplier clock = System::nanoTime;

    /** How long identical events are counted instead of logged (logback.xml: {@code <windowMillis>}). */
    public void setWindowMillis(long millis) {
        if (millis <= 0) throw new IllegalArgumentException("windowMillis must be positive");
        this.windowNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    public void setMaxTracked(int maxTracked) {
        if (maxTracked <= 0) throw new IllegalArgumentException("maxTracked must be positive");
        this.maxTracked = maxTracked;
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (!isStarted() || level == null || !level.isGreaterOrEqual(Level.WARN) || format == null
                || (marker != null && marker.contains(REPEATED))) {
            return FilterReply.NEUTRAL;
        }
        // log.warn("...", arg, e) passes the throwable as the last parameter, not as t.
        Throwable thrown = t != null ? t
                : params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last ? last : null;
        StackTraceElement[] frames = thrown == null ? null : thrown.getStackTrace();
        Key key = new Key(logger.getName(), level, format, thrown == null ? null : thrown.getClass().getName(),
                frames == null || frames.length == 0 ? null : frames[0].toString());
        long now = clock.getAsLong();
        while (true) {
            Window w = windows.get(key);
            if (w == null) {
                if (windows.size() >= maxTracked) return FilterReply.NEUTRAL;
                if (windows.putIfAbsent(key, new Window(now)) == null) return FilterReply.NEUTRAL; // the first of its window
                continue;
            }
            synchronized (w) {
                if (w.ended) continue; // reported meanwhile: this event belongs to the next window
                if (now - w.start < windowNanos) {
                    w.suppressed++;
                    return FilterReply.DENY;
                }
            }
            // The window is over and the reporter has not ended it yet: end it here.
            if (windows.remove(key, w)) report(key, w);
        }
    }

    @Override
    public void start() {
        if (isStarted()) return;
        long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(10), windowNanos / 4);
        reporter = Thread.ofPlatform().name("cairn-log-repeats").daemon(true).start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    TimeUnit.NANOSECONDS.sleep(tick);
                } catch (InterruptedException e) {
                    return;
                }
                reportEnded(false);
            }
        });
        super.start();
    }

    @Override
    public void stop() {
        if (!isStarted()) return;
        super.stop();
        reporter.interrupt();
        reportEnded(true);
    }

    /** Ends every window that is over (or all of them), logging the counts. */
    void reportEnded(boolean all) {
        long now = clock.getAsLong();
        for (Map.Entry<Key, Window> e : windows.entrySet()) {
            Window w = e.getValue();
            if ((all || now - w.start >= windowNanos) && windows.remove(e.getKey(), w)) report(e.getKey(), w);
        }
    }

    private void report(Key key, Window w) {
        long count;
        synchronized (w) {
            count = w.suppressed;
            w.ended = true;
        }
        if (count == 0 || !(getContext() instanceof LoggerContext context)) return;
        long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(clock.getAsLong() - w.start));
        String what = key.exception() == null ? "" : " [" + key.exception() + (key.topFrame() == null ? "" : " at " + key.topFrame()) + "]";
        Logger target = context.getLogger(key.logger());
        String summary = "repeated {} times in the last {} s: {}{}";
        if (key.level().isGreaterOrEqual(Level.ERROR)) target.error(REPEATED, summary, count, seconds, key.template(), what);
        else target.warn(REPEATED, summary, count, seconds, key.template(), what);
    }
}
