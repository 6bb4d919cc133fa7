// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class AdminServerTest {
    @TempDir Path dir;
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicBoolean serving = new AtomicBoolean(true);
    SlotStore store;
    AdminServer admin;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        store = SlotStore.open(SlotConfig.defaults(dir).withSync(false));
        admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), registry, store, "t0ken", serving::get);
    }

    @AfterEach
    void stop() {
        admin.close();
        store.close();
        http.close();
    }

    private HttpResponse<String> call(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthFollowsTheNode() throws Exception {
        assertThat(call("GET", "/health", null).statusCode()).isEqualTo(200);
        serving.set(false);
        HttpResponse<String> stopping = call("GET", "/health", null);
        assertThat(stopping.statusCode()).isEqualTo(503);
        assertThat(stopping.body()).isEqualTo("stopping\n");
    }

    @Test
    void metricsInPrometheusFormat() throws Exception {
        Counter.builder("cairn.test.things").register(registry).increment(3);
        HttpResponse<String> metrics = call("GET", "/metrics", null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("cairn_test_things_total 3.0");
        assertThat(call("POST", "/metrics", null).statusCode()).isEqualTo(405);
        assertThat(call("GET", "/nothing", null).statusCode()).isEqualTo(404);
    }

    @Test
    void adminCommandsNeedTheToken() throws Exception {
        assertThat(call("POST", "/check", null).statusCode()).isEqualTo(401);
        assertThat(call("POST", "/check", "wrong").statusCode()).isEqualTo(401);
        assertThat(call("POST", "/check", "t0ke").statusCode()).isEqualTo(401);
        HttpResponse<String> check = call("POST", "/check", "t0ken");
        assertThat(check.statusCode()).isEqualTo(200);
        assertThat(check.headers().firstValue(AdminServer.CHECK_CLEAN_HEADER)).contains("true");
        assertThat(check.body()).contains("no problems");
        assertThat(call("POST", "/delete-user?user=alice", null).statusCode()).isEqualTo(401);
    }

    @Test
    void deleteUser() throws Exception {
        store.openOrCreateUser("alice");
        assertThat(call("POST", "/delete-user", "t0ken").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/delete-user?user=bob", "t0ken").statusCode()).isEqualTo(404);
        HttpResponse<String> deleted = call("POST", "/delete-user?user=alice", "t0ken");
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(store.hasUser("alice")).isFalse();
    }
}
