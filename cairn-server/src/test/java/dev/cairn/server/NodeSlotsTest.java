// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreEngine;
import dev.cairn.store.routing.Placement;
import dev.cairn.store.routing.SlotRouter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's slots as the config names them: where they live, what the protocols get, how their metrics are told apart. */
class NodeSlotsTest {
    @TempDir Path dir;

    private NodeConfig config(String store) {
        return ConfigLoader.parse("data = \"" + dir.toString().replace("\\", "/") + "\"\n[store]\nsync = false\n" + store, "c");
    }

    @Test void aNodeOfOneSlotGivesTheProtocolsTheSlotItselfWithItsMetricsUnlabelled() throws Exception {
        NodeConfig config = config("");
        Node.createLayout(config);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (StoreEngine engine = Node.storeEngine(64L << 20, meters)) {
            NodeSlots slots = NodeSlots.open(config, engine, QuotaPolicy.UNLIMITED, meters, Placement.NODE);
            try (SlotStore store = slots.store()) {
                assertThat(store).isNotInstanceOf(SlotRouter.class).isSameAs(slots.byName().get("s0"));
                store.openOrCreateUser("alice");
            }
        }
        assertThat(Files.isDirectory(dir.resolve("slot-0").resolve("meta"))).isTrue();
        assertThat(meters.scrape()).contains("cairn_store_commits_total ").doesNotContain("slot=");
    }

    @Test void aNodeOfSeveralSlotsRoutesAndLabelsEachSlotsMetrics() throws Exception {
        NodeConfig config = config("slots = [\"a\", \"b\"]\n");
        Node.createLayout(config);
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (StoreEngine engine = Node.storeEngine(64L << 20, meters)) {
            NodeSlots slots = NodeSlots.open(config, engine, QuotaPolicy.UNLIMITED, meters, Placement.NODE);
            try (SlotStore store = slots.store()) {
                assertThat(store).isInstanceOf(SlotRouter.class);
                store.openOrCreateUser("alice");
                assertThat(slots.byName().get("a").hasUser("alice")).isTrue();
                assertThat(slots.nameOf(store.slotOf("alice"))).isEqualTo("a");
                assertThat(slots.everySlotFenced()).isNull();
                slots.byName().get("a").replication().fence("store A is a replica here");
                assertThat(slots.everySlotFenced()).isNull();
                slots.byName().get("b").replication().fence("store B is a replica here");
                assertThat(slots.everySlotFenced()).isEqualTo("store A is a replica here");
            }
        }
        assertThat(Files.isDirectory(dir.resolve("slot-0").resolve("meta"))).as("the first slot where a node's one slot was").isTrue();
        assertThat(Files.isDirectory(dir.resolve("slots").resolve("b").resolve("meta"))).isTrue();
        String scrape = meters.scrape();
        assertThat(scrape).containsPattern("cairn_store_commits_total\\{slot=\"a\"} [1-9]")
                .contains("cairn_store_commits_total{slot=\"b\"} 0").contains("cairn_store_memory_capacity_bytes ");
    }
}
