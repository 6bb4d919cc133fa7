// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class PeerLinkTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("dev.cairn.replication.PeerLinkTest");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach void capture() {
        logger.setLevel(Level.INFO);
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach void release() { logger.detachAppender(lines); }

    private List<String> logged(Level level) {
        return lines.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test void aReplicaThatGoesAwayIsOneWarningForAllChannelsAndAttemptsAndOneLineWhenBack() {
        PeerLink link = new PeerLink(logger, "replica n2 of store s1", "retrying", 8);
        for (int c = 0; c < 8; c++) link.connected(c, 3);
        assertThat(logged(Level.INFO)).containsExactly("replica n2 of store s1 connected, epoch 3");
        for (int c = 0; c < 8; c++) link.lost(c, "EOFException: closed", false);
        assertThat(logged(Level.WARN)).as("lost connections alone: a restart that reconnects at once says nothing").isEmpty();
        for (int attempt = 0; attempt < 300; attempt++) link.attemptFailed("ConnectException: Connection refused");
        assertThat(logged(Level.WARN)).singleElement().satisfies(l -> assertThat(l)
                .startsWith("replica n2 of store s1 unreachable since ").endsWith(", retrying: ConnectException: Connection refused"));
        assertThat(link.state().connected()).isFalse();
        assertThat(link.state().lastFailure()).isEqualTo("ConnectException: Connection refused");
        for (int c = 0; c < 8; c++) link.connected(c, 3);
        assertThat(logged(Level.INFO)).hasSize(2).last().satisfies(l -> assertThat(l).startsWith("replica n2 of store s1 is back after ")
                .contains(" s (unreachable since ").endsWith("), epoch 3"));
        assertThat(link.state()).satisfies(s -> {
            assertThat(s.connected()).isTrue();
            assertThat(s.channelsUp()).isEqualTo(8);
            assertThat(s.lastFailure()).isNull();
        });
        assertThat(logged(Level.WARN)).hasSize(1);
    }

    @Test void oneChannelFailingWhileOthersAreUpIsNotAnOutage() {
        PeerLink link = new PeerLink(logger, "replica n2 of store s1", "retrying", 4);
        for (int c = 0; c < 4; c++) link.connected(c, 0);
        link.lost(2, "SocketTimeoutException: Read timed out", false);
        link.attemptFailed("ConnectException: Connection refused");
        assertThat(logged(Level.WARN)).isEmpty();
        assertThat(link.state().channelsUp()).isEqualTo(3);
    }

    @Test void theReplicaSideWarnsWhenTheMastersLastChannelCloses() {
        PeerLink link = new PeerLink(logger, "master n1 of store s1", "waiting for it to connect again", 2);
        link.connected(0, 1);
        link.connected(1, 1);
        link.lost(0, "EOFException: closed", true);
        assertThat(logged(Level.WARN)).isEmpty();
        link.lost(1, "SocketException: Connection reset", true);
        assertThat(logged(Level.WARN)).singleElement().satisfies(l -> assertThat(l)
                .startsWith("master n1 of store s1 unreachable since ").endsWith(", waiting for it to connect again: SocketException: Connection reset"));
        link.connected(1, 1);
        assertThat(logged(Level.INFO)).last().satisfies(l -> assertThat(l).startsWith("master n1 of store s1 is back after "));
    }

    @Test void durationsReadAsPeopleSayThem() {
        assertThat(PeerLink.human(java.time.Duration.ofMillis(61_234))).isEqualTo("1 min 1 s");
        assertThat(PeerLink.human(java.time.Duration.ofMillis(4_567))).isEqualTo("4.5 s");
        assertThat(PeerLink.human(java.time.Duration.ofSeconds(7_300))).isEqualTo("2 h 1 min");
    }
}
