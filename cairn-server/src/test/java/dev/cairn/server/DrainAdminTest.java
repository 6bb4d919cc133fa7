// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.SlotRef;
import dev.cairn.replication.SwitchResult;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code POST /cluster/switch} behind the node's own token or the cluster token (a drain run with
 * any node's config), and the cluster token opening nothing else of the node's own.
 */
@Timeout(60)
class DrainAdminTest {
    private static final String NODE_TOKEN = "n0de-t0ken";
    private static final String CLUSTER_TOKEN = ClusterToken.of("drain test secret".getBytes(StandardCharsets.UTF_8));
    private final List<String> switched = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private AdminServer admin;

    @BeforeEach void start() throws Exception {
        // No store: an endpoint of the node's own that let the cluster token in would fail (500), not answer 401.
        admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), null,
                NODE_TOKEN, () -> true);
        DrainAdmin.register(admin, NODE_TOKEN, CLUSTER_TOKEN, (store, to, budget) -> {
            switched.add(store + " -> " + to + " within " + budget.toMillis() + " ms");
            boolean done = !store.equals("stuck");
            return new SwitchResult(store, to.toString(), done, 7, Duration.ofMillis(12), Duration.ofMillis(2), Duration.ofMillis(10),
                    done ? null : "the replica did not catch up within the budget");
        });
        ReplicationAdmin.context(admin, NODE_TOKEN, "/reload", "POST", q -> "reloaded\n"); // as Node registers it
    }

    @AfterEach void stop() {
        admin.close();
        http.close();
    }

    private HttpResponse<String> call(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test void theSwitchRunsWithTheClusterTokenAsWithTheNodesOwn() throws Exception {
        for (String token : List.of(CLUSTER_TOKEN, NODE_TOKEN)) {
            HttpResponse<String> r = call("POST", "/cluster/switch?store=d7&to=n2/s7&budget_ms=2500", token);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).startsWith("store d7 switched over to n2/s7 at epoch 7").contains("write pause 12.0 ms");
        }
        assertThat(switched).containsExactly("d7 -> n2/s7 within 2500 ms", "d7 -> n2/s7 within 2500 ms");
        HttpResponse<String> abandoned = call("POST", "/cluster/switch?store=stuck&to=n2/s1", CLUSTER_TOKEN);
        assertThat(abandoned.statusCode()).isEqualTo(409);
        assertThat(abandoned.body()).startsWith("store stuck not switched over to n2/s1: the replica did not catch up within the budget");
    }

    @Test void noTokenAWrongOneOrAnotherClustersIsRefusedAndNothingSwitches() throws Exception {
        String otherCluster = ClusterToken.of("another cluster's secret".getBytes(StandardCharsets.UTF_8));
        for (String token : new String[] {null, "wrong", otherCluster, CLUSTER_TOKEN.substring(1), CLUSTER_TOKEN + "x",
                NODE_TOKEN + CLUSTER_TOKEN}) {
            assertThat(call("POST", "/cluster/switch?store=d7&to=n2/s7", token).statusCode()).as("token %s", token).isEqualTo(401);
        }
        assertThat(call("GET", "/cluster/switch?store=d7&to=n2/s7", CLUSTER_TOKEN).statusCode()).isEqualTo(405);
        assertThat(switched).isEmpty();
    }

    @Test void theClusterTokenOpensNoEndpointOfTheNodesOwn() throws Exception {
        for (String path : List.of("/check", "/check?user=alice&repair=true", "/delete-user?user=alice", "/reload")) {
            HttpResponse<String> r = call("POST", path, CLUSTER_TOKEN);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(401);
        }
        assertThat(call("POST", "/reload", NODE_TOKEN).statusCode()).isEqualTo(200);
    }
}
