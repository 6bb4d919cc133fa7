// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.lmtp.Forwarder;
import dev.cairn.lmtp.LmtpCommand;
import dev.cairn.store.BodySource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LMTP proxy's client: passes a transaction's recipients of one back-end ({@link Backend},
 * the target {@link RelayingRecipients} names) to that back-end on a connection of its own
 * ({@link LmtpClientTransaction}). A back-end that fails answers 451 4.3.0 for its own recipients
 * only: the MTA keeps the message for them and retries, the other back-ends' recipients are done.
 *
 * <p>Meters: {@code cairn_proxy_lmtp_recipients_total{node,class}} (each recipient's reply by
 * class 2xx/4xx/5xx) and {@code cairn_proxy_lmtp_forward_seconds{node}} (one forwarded
 * transaction, connect to last reply).
 */
public final class LmtpForwarder implements Forwarder {
    static final Logger log = LoggerFactory.getLogger(LmtpForwarder.class);
    /**
     * How long a back-end may take for one reply once connected. A back-end's append answers in
     * milliseconds, so this only cuts a back-end that hangs; the whole forward is bounded by the
     * connect timeout plus twice this (about 4 minutes), inside the 10 minutes an MTA gives us
     * for the replies after DATA (RFC 5321 §4.5.3.2.6; Postfix's lmtp_data_done_timeout), so
     * the MTA hears our 451 rather than timing out on the whole transaction.
     */
    public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofMinutes(2);

    private final RelayConfig relay;
    private final String hostname;
    private final MeterRegistry registry;
    private final Duration replyTimeout;

    /**
     * @param hostname the name this front-end gives in LHLO
     * @param registry where the meters go
     */
    public LmtpForwarder(RelayConfig relay, String hostname, MeterRegistry registry) {
        this(relay, hostname, registry, DEFAULT_REPLY_TIMEOUT);
    }

    public LmtpForwarder(RelayConfig relay, String hostname, MeterRegistry registry, Duration replyTimeout) {
        this.relay = Objects.requireNonNull(relay);
        this.hostname = Objects.requireNonNull(hostname);
        this.registry = Objects.requireNonNull(registry);
        this.replyTimeout = Objects.requireNonNull(replyTimeout);
    }

    @Override public List<String> forward(Object target, LmtpCommand.Mail mail, List<String> addresses, BodySource body)
            throws InterruptedException {
        if (!(target instanceof Backend backend)) throw new IllegalArgumentException("not a back-end: " + target);
        long start = System.nanoTime();
        LmtpClientTransaction transaction = new LmtpClientTransaction(backend, relay.backendTls(), relay.connectTimeout(),
                replyTimeout, hostname, mail, addresses, body);
        // A socket write has no timeout of its own: a back-end that stops reading the body is cut
        // here, after the longest a well-behaved one could take.
        Duration bound = relay.connectTimeout().plus(replyTimeout.multipliedBy(2));
        Thread watchdog = Thread.ofVirtual().name("lmtp-forward-watchdog").start(() -> {
            try {
                Thread.sleep(bound);
                transaction.abort();
            } catch (InterruptedException done) {
                // the transaction ended in time
            }
        });
        List<String> replies;
        try {
            replies = transaction.run();
        } finally {
            watchdog.interrupt();
        }
        Timer.builder("cairn.proxy.lmtp.forward").tag("node", backend.node())
                .description("one transaction forwarded to a back-end, connect to last reply")
                .register(registry).record(Duration.ofNanos(System.nanoTime() - start));
        List<String> counted = new ArrayList<>(replies.size());
        for (String reply : replies) {
            recipients(backend.node(), reply.charAt(0) + "xx").increment();
            counted.add(reply);
        }
        return counted;
    }

    private Counter recipients(String node, String replyClass) {
        return Counter.builder("cairn.proxy.lmtp.recipients").tag("node", node).tag("class", replyClass)
                .description("recipients forwarded to a back-end, by the class of their reply").register(registry);
    }
}
