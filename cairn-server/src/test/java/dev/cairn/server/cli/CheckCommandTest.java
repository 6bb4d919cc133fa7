// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.Node;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.NewMessage;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import dev.cairn.store.rocks.SlotCorruption;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** `cairn check` on a slot no server has open: it opens the slot itself. */
class CheckCommandTest {
    @TempDir Path data;

    private SlotStore open() {
        NodeConfig config = NodeConfig.defaults().withData(data);
        return RocksSlotStore.open(Node.slotConfig(config, QuotaPolicy.UNLIMITED, new SimpleMeterRegistry()));
    }

    @Test
    void reportsProblemsWithExitStatusOneAndRepairsThem() throws Exception {
        try (SlotStore store = open()) {
            store.openOrCreateUser("alice").append("INBOX", List.of(new NewMessage(
                    BodySource.of("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)), Flags.NONE, Instant.now())));
        }
        CliRun clean = CliRun.run("", "check", "--data", data.toString());
        assertThat(clean.status()).as(clean.err()).isZero();
        assertThat(clean.out()).isEqualTo("checked 1 user, 1 message: no problems\n");

        try (SlotStore store = open()) {
            SlotCorruption.addOrphanBody(store);
        }
        CliRun found = CliRun.run("", "check", "--data", data.toString());
        assertThat(found.status()).isEqualTo(1);
        assertThat(found.out()).contains("problem: ").contains("orphan").contains("(run with --repair to repair)");

        CliRun repaired = CliRun.run("", "check", "--repair", "--data", data.toString());
        assertThat(repaired.status()).as(repaired.out()).isZero();
        assertThat(repaired.out()).contains("repaired: ").contains("1 repaired");

        assertThat(CliRun.run("", "check", "--data", data.toString()).out()).contains("no problems");
        assertThat(CliRun.run("", "check", "--user", "bad/name", "--data", data.toString()).status()).isEqualTo(1);
    }
}
