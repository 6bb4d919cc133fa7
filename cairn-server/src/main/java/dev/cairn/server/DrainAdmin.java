// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.SlotRef;
import dev.cairn.replication.SwitchResult;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster node's admin endpoint for {@code cairn node drain}: {@code POST
 * /cluster/switch?store=S&to=NODE/SLOT[&budget_ms=N]}, a planned switchover of a store this node
 * masters that the store map decides ({@link NodeCluster#switchOver}); 200 with the timings when
 * done, 409 with why when abandoned (this node goes on as master). The switch runs to its end even
 * if the caller goes away (an interrupted drain leaves every store either switched or still here).
 *
 * <p>Behind the node's own token or the cluster token ({@link ClusterToken}): the drain is run
 * from any node's config, which has the cluster secret but not this node's data directory. The
 * cluster token opens only this endpoint and the node-to-node ones of {@link MoveAdmin}.
 */
final class DrainAdmin {
    private static final Logger log = LoggerFactory.getLogger(DrainAdmin.class);

    /** What the endpoint asks of the node ({@link NodeCluster#switchOver}). */
    @FunctionalInterface
    interface Switcher {
        SwitchResult switchOver(String store, SlotRef to, Duration budget) throws Exception;
    }

    private DrainAdmin() {}

    static void register(AdminServer admin, String nodeToken, String clusterToken, Switcher cluster) {
        ReplicationAdmin.clusterContext(admin, nodeToken, clusterToken, "/cluster/switch", "POST", q -> {
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
