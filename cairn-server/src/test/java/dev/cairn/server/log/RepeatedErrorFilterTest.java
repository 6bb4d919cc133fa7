// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.log;

import static dev.cairn.testkit.Eventually.eventually;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import dev.cairn.protocol.ConnectionServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RepeatedErrorFilterTest {
    private LoggerContext context;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @AfterEach
    void stop() {
        if (context != null) context.stop();
    }

    private static LoggerContext newContext() {
        LoggerContext c = new LoggerContext();
        c.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        return c;
    }

    /** A fresh logger context as the shipped logback.xml sets it up, writing into {@link #captured}. */
    private LoggerContext shippedConfig() throws Exception {
        context = newContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(getClass().getResource("/logback.xml"));
        capture(context);
        return context;
    }

    private LoggerContext shortWindow(long millis) {
        context = newContext();
        RepeatedErrorFilter filter = new RepeatedErrorFilter();
        filter.setContext(context);
        filter.setWindowMillis(millis);
        filter.start();
        context.addTurboFilter(filter);
        capture(context);
        return context;
    }

    private void capture(LoggerContext context) {
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%-5level %logger{0}: %msg%n");
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(captured);
        appender.start();
        root.addAppender(appender);
    }

    private List<String> lines() {
        synchronized (captured) {
            return Arrays.asList(captured.toString(StandardCharsets.UTF_8).split("\n"));
        }
    }

    private static void until(int seconds, java.util.function.BooleanSupplier condition) throws Exception {
        eventually(Duration.ofSeconds(seconds), () -> assertThat(condition.getAsBoolean()).as("within " + seconds + " s").isTrue());
    }

    /** Throws from one place, as the same bug hit by every command does. */
    private static RuntimeException failure(int n) {
        return new IllegalStateException("command " + n + " blew up");
    }

    @Test
    void aThousandIdenticalFailuresAreLoggedOnceWithTheirTraceUnderTheShippedConfig() throws Exception {
        Logger log = shippedConfig().getLogger("dev.cairn.imap.ImapSession");
        for (int i = 0; i < 1000; i++) log.warn("imap {}: {} failed", "c" + i, "FETCH", failure(i));

        List<String> lines = lines();
        assertThat(lines.stream().filter(l -> l.contains("failed"))).containsExactly("WARN  ImapSession: imap c0: FETCH failed");
        assertThat(lines.stream().filter(l -> l.startsWith("java.lang.IllegalStateException"))).hasSize(1);
        assertThat(lines.stream().filter(l -> l.contains("\tat ")).count()).isLessThan(200); // one trace, not 1000
    }

    @Test
    void theWindowEndsWithACountOfWhatWasDropped() throws Exception {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        RepeatedErrorFilter filter = new RepeatedErrorFilter();
        filter.clock = now::get;
        context = newContext();
        filter.setContext(context);
        filter.setWindowMillis(60_000);
        filter.start();
        context.addTurboFilter(filter);
        capture(context);
        Logger log = context.getLogger("dev.cairn.lmtp.LmtpSession");
        for (int i = 0; i < 1000; i++) log.error("lmtp {}: delivery to {} failed", "c" + i, "u" + i, failure(i));
        now.addAndGet(java.util.concurrent.TimeUnit.SECONDS.toNanos(59));
        filter.reportEnded(false);
        assertThat(lines().stream().filter(l -> l.contains("repeated"))).isEmpty(); // the window is not over

        now.addAndGet(java.util.concurrent.TimeUnit.SECONDS.toNanos(1));
        filter.reportEnded(false);
        List<String> lines = lines();
        assertThat(lines.stream().filter(l -> l.contains("failed") || l.contains("repeated"))).containsExactly(
                "ERROR LmtpSession: lmtp c0: delivery to u0 failed",
                "ERROR LmtpSession: repeated 999 times in the last 60 s: lmtp {}: delivery to {} failed"
                        + " [java.lang.IllegalStateException at " + failure(0).getStackTrace()[0] + "]");
        assertThat(lines.size()).isLessThan(200);

        // The next one opens a new window and is logged in full again.
        log.error("lmtp {}: delivery to {} failed", "c1000", "u1000", failure(1000));
        assertThat(lines()).contains("ERROR LmtpSession: lmtp c1000: delivery to u1000 failed");
    }

    @Test
    void theReporterThreadEndsAWindowByItself() throws Exception {
        Logger log = shortWindow(200).getLogger("x");
        for (int i = 0; i < 3; i++) log.warn("same {}", i);
        until(10, () -> lines().stream().anyMatch(l -> l.startsWith("WARN  x: repeated 2 times in the last 1 s: same {}")));
    }

    @Test
    void differentFailuresAndInfoLinesAreNotFolded() {
        Logger log = shortWindow(60_000).getLogger("dev.cairn.protocol.ConnectionServer");
        log.warn("{}: {} failed", "imap", "c1", new IllegalStateException("x"));
        log.warn("{}: {} failed", "imap", "c2", new IllegalArgumentException("x")); // another exception
        log.warn("{}: accept failed: {}", "imap", "EMFILE");                         // another template
        context.getLogger("other").warn("{}: accept failed: {}", "imap", "EMFILE");   // another logger
        for (int i = 0; i < 3; i++) log.info("imap: c{} opened", i);                  // below WARN
        assertThat(lines().stream().filter(l -> l.startsWith("WARN") || l.startsWith("INFO"))).containsExactly(
                "WARN  ConnectionServer: imap: c1 failed",
                "WARN  ConnectionServer: imap: c2 failed",
                "WARN  ConnectionServer: imap: accept failed: EMFILE",
                "WARN  other: imap: accept failed: EMFILE",
                "INFO  ConnectionServer: imap: c0 opened",
                "INFO  ConnectionServer: imap: c1 opened",
                "INFO  ConnectionServer: imap: c2 opened");
    }

    @Test
    void atMostMaxTrackedKindsAreCountedAndTheRestPass() {
        context = newContext();
        RepeatedErrorFilter filter = new RepeatedErrorFilter();
        filter.setContext(context);
        filter.setMaxTracked(2);
        filter.start();
        context.addTurboFilter(filter);
        capture(context);
        Logger log = context.getLogger("x");
        for (int round = 0; round < 2; round++) {
            log.warn("one");
            log.warn("two");
            log.warn("three"); // not tracked: passes both times
        }
        assertThat(lines()).containsExactly("WARN  x: one", "WARN  x: two", "WARN  x: three", "WARN  x: three");
    }

    /** Failures thrown by a connection's handler, as ConnectionServer logs them, in this JVM's logback-test.xml. */
    static final class FloodFailure extends RuntimeException {
        FloodFailure() { super("handler failed"); }
    }

    @Test
    @Timeout(60)
    void aThousandConnectionsFailingAlikeLeaveOneTraceInTheServersLog() throws Exception {
        // The JVM's own logger context, configured by logback-test.xml (the same filter as logback.xml).
        LoggerContext global = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertThat(global.getTurboFilterList()).hasAtLeastOneElementOfType(RepeatedErrorFilter.class);
        List<ILoggingEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        ch.qos.logback.core.AppenderBase<ILoggingEvent> appender = new ch.qos.logback.core.AppenderBase<>() {
            @Override protected void append(ILoggingEvent e) { events.add(e); }
        };
        appender.setContext(global);
        appender.start();
        Logger serverLog = global.getLogger(ConnectionServer.class);
        serverLog.addAppender(appender);
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        try (ConnectionServer server = new ConnectionServer(
                ConnectionServer.Config.plain("flood", new InetSocketAddress("127.0.0.1", 0), 2000),
                connection -> { served.incrementAndGet(); throw new FloodFailure(); },
                connection -> {})) {
            server.start();
            for (int i = 0; i < 1000; i++) {
                try (Socket s = new Socket()) {
                    s.connect(server.boundInetAddress());
                    s.getInputStream().read(); // the server closes after the handler threw
                }
            }
            until(30, () -> served.get() == 1000 && server.activeConnections() == 0);
        } finally {
            serverLog.detachAppender(appender);
        }
        List<ILoggingEvent> failures = events.stream().filter(e -> e.getThrowableProxy() != null
                && e.getThrowableProxy().getClassName().equals(FloodFailure.class.getName())).toList();
        assertThat(failures).hasSize(1);
    }
}
