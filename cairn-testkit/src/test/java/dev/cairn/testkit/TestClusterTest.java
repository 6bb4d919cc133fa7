// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestClusterTest {
    @TempDir Path dir;

    @Test void writesEveryNodesConfigWithItsPortsAndThePeers() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false").listen("imap", "admin").disable("pop3")
                .replicated("a secret", "sync").replication("slot = \"s0\"").lines("n2", "imap", "trusted_networks = [\"10.0.0.0/8\"]").build();
        assertThat(Files.readString(c.config("n2"))).isEqualTo("""
                data = "%s"
                [store]
                sync = false
                [imap]
                listen = "127.0.0.1:%d"
                trusted_networks = ["10.0.0.0/8"]
                [admin]
                listen = "127.0.0.1:%d"
                [pop3]
                enabled = false
                [replication]
                node = "n2"
                listen = "127.0.0.1:%d"
                secret = "a secret"
                slot = "s0"
                [replication.peers]
                n1 = "127.0.0.1:%d"
                n2 = "127.0.0.1:%d"
                [[replication.stores]]
                name = "s1"
                mode = "sync"
                master = "n1/s0"
                replicas = ["n2/s0"]
                """.formatted(dir.resolve("n2"), c.port("n2", "imap"), c.port("n2", "admin"), c.port("n2", "repl"),
                c.port("n1", "repl"), c.port("n2", "repl")));
        assertThat(List.of(c.port("n1", "imap"), c.port("n1", "admin"), c.port("n1", "repl"), c.port("n2", "imap")))
                .doesNotHaveDuplicates();
    }

    @Test void proxiesStandBetweenEveryPairOfNodesInTheirConfigs() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").replicated("a secret", null).build();
        java.util.Map<String, FaultProxy> proxies = c.proxies();
        try {
            assertThat(proxies).containsOnlyKeys("n1->n2", "n2->n1");
            // Each node reaches the other through its proxy, and itself directly.
            assertThat(Files.readString(c.config("n1")))
                    .contains("n1 = \"127.0.0.1:" + c.port("n1", "repl") + "\"\n")
                    .contains("n2 = \"127.0.0.1:" + proxies.get("n1->n2").port() + "\"\n");
            assertThat(Files.readString(c.config("n2")))
                    .contains("n1 = \"127.0.0.1:" + proxies.get("n2->n1").port() + "\"\n")
                    .contains("listen = \"127.0.0.1:" + c.port("n2", "repl") + "\"\n");
        } finally {
            proxies.values().forEach(FaultProxy::close);
        }
    }

    @Test void aNodeWhosePortWasTakenStartsAgainOnNewPorts() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").listen("imap").replicated("s", null).build();
        int taken = c.port("n1", "imap"), repl = c.port("n1", "repl");
        List<String> tried = new ArrayList<>();
        String started = c.start("n1", config -> {
            tried.add(Files.readString(config));
            if (tried.size() == 1) throw new BindException("imap: cannot listen on 127.0.0.1:" + taken + ": Address already in use");
            return "up";
        });
        assertThat(started).isEqualTo("up");
        assertThat(c.port("n1", "imap")).isNotEqualTo(taken);
        assertThat(c.port("n1", "repl")).as("no node ran yet: the replication port may move too").isNotEqualTo(repl);
        assertThat(tried.get(1)).contains("listen = \"127.0.0.1:" + c.port("n1", "imap") + "\"");
        assertThat(Files.readString(c.config("n2"))).as("the peers learn the new replication port")
                .contains("n1 = \"127.0.0.1:" + c.port("n1", "repl") + "\"");

        int n1Repl = c.port("n1", "repl");
        c.start("n2", config -> {
            if (tried.size() == 2) {
                tried.add("clash");
                throw new BindException("Address already in use");
            }
            return "up";
        });
        assertThat(Files.readString(c.config("n1"))).as("n1 runs: n2 keeps the replication port n1 knows")
                .contains("n2 = \"127.0.0.1:" + c.port("n2", "repl") + "\"");
        assertThat(c.port("n1", "repl")).isEqualTo(n1Repl);
    }
}
