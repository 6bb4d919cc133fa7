// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.testkit.PostfixInstance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's Postfix delivering through the LMTP proxy (issue 21, must-show 3): one message to 100
 * recipients spread over three back-end stores, sent by Postfix in one LMTP transaction to the
 * front. A private Postfix instance from its own configuration directory, as in cairn-lmtp's
 * PostfixLmtpIT ({@link PostfixInstance}); the machine's Postfix is not touched.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PostfixThroughLmtpProxyIT {
    static final int RECIPIENTS = 100;
    @TempDir Path dir;
    LmtpBackEnds cluster;
    PostfixInstance postfix;

    @BeforeEach
    void start() throws Exception {
        if (!PostfixInstance.runnable() && PostfixInstance.required()) throw new AssertionError("the Postfix test needs postfix, swaks and root");
        assumeTrue(PostfixInstance.runnable(), "starting a Postfix instance needs postfix, swaks and root");
        cluster = new LmtpBackEnds(dir, 3);
        postfix = PostfixInstance.start("127.0.0.1", cluster.frontPort(), RECIPIENTS);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (postfix != null) postfix.close();
        } finally {
            if (cluster != null) cluster.close();
        }
    }

    @Test
    void postfixDeliversOneMessageToAHundredRecipientsOverThreeStoresThroughTheProxy() throws Exception {
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < RECIPIENTS; i++) {
            cluster.locator.at("u" + i, "s" + (i % 3), 1, cluster.backends.get(i % 3));
            addresses.add("u" + i + "@example.com");
        }
        postfix.send("sender@example.org", addresses, List.of("Subject: to a hundred"), "One message, three stores.\n.leading dot\n");

        Pattern sentLine = Pattern.compile("to=<(u\\d+@example\\.com)>, relay=[^ ]+, .*status=sent \\(250 2\\.0\\.0 <\\1> ");
        eventually(Duration.ofSeconds(90), () -> {
            Matcher m = sentLine.matcher(postfix.log());
            int delivered = 0;
            while (m.find()) delivered++;
            assertThat(delivered).as(postfix.log()).isEqualTo(RECIPIENTS);
        });
        String log = postfix.log();
        assertThat(log).doesNotContain("status=deferred").doesNotContain("status=bounced");
        for (String a : addresses) assertThat(log).contains("to=<" + a + ">");
        // Postfix made one LMTP connection for all of them: one transaction, one reply each, in order.
        assertThat(cluster.meters.get("cairn.proxy.lmtp.forward").timers()).allSatisfy(t -> assertThat(t.count()).isEqualTo(1));
        for (int i = 0; i < RECIPIENTS; i++) {
            List<String> copies = LmtpBackEnds.messages(cluster.slots.get(i % 3), "u" + i);
            assertThat(copies).as("u%d", i).singleElement().asString().contains("Subject: to a hundred")
                    .contains("\r\n.leading dot\r\n");
            for (var other : cluster.slots) if (other != cluster.slots.get(i % 3)) assertThat(other.hasUser("u" + i)).isFalse();
        }
        assertThat(cluster.meters.get("cairn.proxy.lmtp.forward").timers()).hasSize(3);
    }
}
