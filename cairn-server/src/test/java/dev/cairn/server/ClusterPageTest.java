// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cluster.ClusterSnapshot;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin page's files are public and fixed; its data needs the admin token. */
class ClusterPageTest {
    private AdminServer admin;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach void start() throws Exception {
        admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), null,
                "t0ken", () -> true);
        ClusterPage.register(admin, "t0ken", () -> new ClusterSnapshot(Instant.EPOCH, "node n1",
                List.of(new ClusterSnapshot.Node("n1", true, Map.of(), ClusterSnapshot.Reach.REACHABLE, null, null, List.of())),
                List.of(), List.of()));
    }

    @AfterEach void stop() {
        admin.close();
        http.close();
    }

    private HttpResponse<String> call(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test void theClusterStateNeedsTheAdminToken() throws Exception {
        assertThat(call("GET", "/cluster/state", null).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/cluster/state", "t0ke").statusCode()).isEqualTo(401);
        assertThat(call("GET", "/cluster/state?token=t0ken", null).statusCode()).as("never a token in the query").isEqualTo(401);
        HttpResponse<String> ok = call("GET", "/cluster/state", "t0ken");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(ok.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(ok.body()).startsWith("{\"at\":\"1970-01-01T00:00:00Z\",\"source\":\"node n1\",\"stale\":null,\"nodes\":[{\"name\":\"n1\",\"self\":true,");
        assertThat(call("POST", "/cluster/state", "t0ken").statusCode()).isEqualTo(405);
    }

    @Test void thePageIsPublicAndRunsOnlyItsOwnScript() throws Exception {
        for (String path : List.of("/ui", "/ui/")) {
            HttpResponse<String> page = call("GET", path, null);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(ClusterPage.CONTENT_SECURITY_POLICY);
            assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(page.body()).contains("<script src=\"/ui/cluster.js\" defer></script>").doesNotContain("<script>", "http://", "https://");
        }
        assertThat(call("GET", "/ui/cluster.js", null).headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(call("GET", "/ui/cluster.css", null).headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(call("GET", "/ui/cluster.js", null).body()).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write");
        for (String path : List.of("/ui/other.html", "/ui/../ui/cluster.js", "/ui//cluster.js", "/ui/cluster/index.html", "/uix")) {
            assertThat(call("GET", path, null).statusCode()).as(path).isEqualTo(404);
        }
        assertThat(call("POST", "/ui/", null).statusCode()).isEqualTo(405);
    }
}
