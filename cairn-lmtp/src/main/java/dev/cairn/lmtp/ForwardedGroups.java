// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.store.BodySource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transaction's recipients placed elsewhere, grouped by target: each target gets one
 * {@link Forwarder} call with its addresses in RCPT order, each address once (the target
 * deduplicates copies itself, as this node does for its own recipients).
 */
final class ForwardedGroups {
    private static final Logger log = LoggerFactory.getLogger(ForwardedGroups.class);

    private static final class Group {
        final Map<String, Integer> position = new LinkedHashMap<>();
        Future<List<String>> replies;
    }

    private final Map<Object, Group> groups = new LinkedHashMap<>();

    void add(Object target, String address) {
        Group g = groups.computeIfAbsent(target, t -> new Group());
        g.position.putIfAbsent(address, g.position.size());
    }

    boolean isEmpty() { return groups.isEmpty(); }

    /** Starts one forward per target on {@code executor}. */
    void submit(ExecutorService executor, Forwarder forwarder, LmtpCommand.Mail mail, BodySource body) {
        for (Map.Entry<Object, Group> e : groups.entrySet()) {
            List<String> addresses = new ArrayList<>(e.getValue().position.keySet());
            e.getValue().replies = executor.submit(() -> forwarder.forward(e.getKey(), mail, addresses, body));
        }
    }

    /** The target's reply for {@code address}: a 451 when the forwarder failed or answered out of shape. */
    String reply(Object target, String address) throws IOException {
        Group g = groups.get(target);
        try {
            List<String> replies = g.replies.get();
            if (replies.size() == g.position.size()) return replies.get(g.position.get(address));
            log.error("lmtp: forwarding to {} gave {} replies for {} recipients", target, replies.size(), g.position.size());
        } catch (ExecutionException e) {
            log.error("lmtp: forwarding to {} failed", target, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during delivery", e);
        }
        return "451 4.3.0 <" + address + "> Temporary failure, try again later";
    }
}
