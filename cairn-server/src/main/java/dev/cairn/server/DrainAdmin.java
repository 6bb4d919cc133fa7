// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.SlotRef;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster node's admin endpoint for {@code cairn node drain} (same bearer token as /check):
 * {@code POST /cluster/switch?store=S&to=NODE/SLOT[&budget_ms=N]}, a planned switchover of a store
 * this node masters that the store map decides ({@link NodeCluster#switchOver}); 200 with the
 * timings when done, 409 with why when abandoned (this node goes on as master). The switch runs to
 * its end even if the caller goes away (an interrupted drain leaves every store either switched
 * or still here).
 */
final class DrainAdmin {
    private static final Logger log = LoggerFactory.getLogger(DrainAdmin.class);

    private DrainAdmin() {}

    static void register(AdminServer admin, String token, NodeCluster cluster) {
        ReplicationAdmin.context(admin, token, "/cluster/switch", "POST", q -> {
            String store = ReplicationAdmin.required(q, "store");
            SlotRef to = SlotRef.parse(ReplicationAdmin.required(q, "to"));
            String ms = q.get("budget_ms");
            Duration budget = Duration.ofMillis(ms == null || ms.isEmpty() ? 30_000 : Long.parseLong(ms));
            log.warn("admin: switching store {} over to {} through the store map (budget {})", store, to, budget);
            var r = cluster.switchOver(store, to, budget);
            String text = String.join("\n", r.lines()) + "\n";
            if (!r.done()) throw new IllegalStateException(text.strip());
            return text;
        });
    }
}
