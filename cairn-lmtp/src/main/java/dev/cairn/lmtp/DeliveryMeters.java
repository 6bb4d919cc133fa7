// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Each recipient's final answer, by its reply class (RFC 5321 §4.2.1): Prometheus
 * {@code cairn_lmtp_deliveries_total{outcome="delivered|tempfailed|rejected"}}. A recipient
 * refused at RCPT counts as well as one answered after DATA; a recipient accepted at RCPT counts
 * once, at its DATA answer.
 */
final class DeliveryMeters {
    private final Counter delivered, tempfailed, rejected;

    DeliveryMeters(MeterRegistry registry) {
        delivered = counter(registry, "delivered");
        tempfailed = counter(registry, "tempfailed");
        rejected = counter(registry, "rejected");
    }

    static DeliveryMeters none() {
        return new DeliveryMeters(new SimpleMeterRegistry());
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("cairn.lmtp.deliveries").tag("outcome", outcome)
                .description("recipients answered, by outcome: 2xx delivered, 4xx tempfailed, 5xx rejected").register(registry);
    }

    /** Counts the reply line sent for one recipient. */
    void count(String reply) {
        switch (reply.charAt(0)) {
            case '2' -> delivered.increment();
            case '4' -> tempfailed.increment();
            default -> rejected.increment();
        }
    }
}
