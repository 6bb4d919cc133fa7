// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.cairn.testkit.Eventually.eventually;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import org.slf4j.LoggerFactory;

/** What this module logs (WARN and above) while a test runs, through logback itself. */
final class LogCapture implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("dev.cairn.replication");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture() {
        appender.start();
        logger.addAppender(appender);
    }

    /** The formatted WARN and ERROR lines so far, each with its exception's class and message when it has one. */
    List<String> warnings() {
        List<ILoggingEvent> events;
        synchronized (appender) { // the appender adds under this lock
            events = List.copyOf(appender.list);
        }
        return events.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(e -> e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
                        : " [stack trace of " + e.getThrowableProxy().getClassName() + "]"))
                .toList();
    }

    List<String> warningsContaining(String text) {
        return warnings().stream().filter(l -> l.contains(text)).toList();
    }

    /** Waits (up to 10 s) for a warning containing {@code text}; returns the ones there are. */
    List<String> awaitWarning(String text) throws Exception {
        eventually(Duration.ofSeconds(10), () -> assertThat(warningsContaining(text)).as("warnings containing " + text).isNotEmpty());
        return warningsContaining(text);
    }

    @Override public void close() {
        logger.detachAppender(appender);
    }
}
