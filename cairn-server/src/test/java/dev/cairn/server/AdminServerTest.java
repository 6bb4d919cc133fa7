// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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
        store = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false));
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

    /** The store, except that the checker recurses too deep (an Error) and hasUser fails (an exception). */
    private SlotStore breaking(SlotStore store) {
        return (SlotStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {SlotStore.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "check" -> throw new StackOverflowError();
                    case "hasUser" -> throw new IllegalStateException("directory gone");
                    default -> {
                        try {
                            yield method.invoke(store, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                });
    }

    private HttpResponse<String> call(AdminServer server, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer t0ken")
                .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void handlersThatThrowAnswer500AndTheEndpointGoesOn() throws Exception {
        try (AdminServer broken = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), registry, breaking(store), "t0ken", serving::get)) {
            for (int i = 0; i < 2 * AdminHttp.THREADS; i++) {
                HttpResponse<String> check = call(broken, "POST", "/check");
                assertThat(check.statusCode()).isEqualTo(500);
                assertThat(check.body()).isEqualTo("failed: java.lang.StackOverflowError\n");
                HttpResponse<String> delete = call(broken, "POST", "/delete-user?user=alice");
                assertThat(delete.statusCode()).isEqualTo(500);
                assertThat(delete.body()).isEqualTo("failed: directory gone\n");
            }
            assertThat(call(broken, "GET", "/health").statusCode()).isEqualTo(200);
        }
    }

    private java.net.Socket slowClient() throws java.io.IOException {
        java.net.Socket s = new java.net.Socket("127.0.0.1", admin.address().getPort());
        s.getOutputStream().write("GET /hea".getBytes(StandardCharsets.US_ASCII)); // and no more
        return s;
    }

    private java.time.Duration timedHealth() throws Exception {
        long start = System.nanoTime();
        assertThat(call(admin, "GET", "/health").statusCode()).isEqualTo(200);
        return java.time.Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void manyIdleAndSlowAdminConnectionsNeitherStopTheEndpointNorStayForever() throws Exception {
        List<java.net.Socket> idle = new java.util.ArrayList<>(), slow = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) idle.add(new java.net.Socket("127.0.0.1", admin.address().getPort()));
            for (int i = 0; i < 100; i++) slow.add(slowClient()); // many more than the threads
            for (int i = 0; i < 5; i++) assertThat(timedHealth()).isLessThan(java.time.Duration.ofSeconds(2));
            // A request whose head does not arrive in time is cut, and so is an idle connection.
            for (java.net.Socket s : List.of(slow.getFirst(), slow.getLast(), idle.getFirst())) {
                s.setSoTimeout((AdminHttp.HEAD_SECONDS + 10) * 1000);
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(timedHealth()).isLessThan(java.time.Duration.ofSeconds(2));
        } finally {
            for (java.net.Socket s : idle) s.close();
            for (java.net.Socket s : slow) s.close();
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aClientFindsRoomWhenEveryConnectionIsTakenBySlowOnes() throws Exception {
        List<java.net.Socket> slow = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < AdminHttp.MAX_CONNECTIONS + 10; i++) slow.add(slowClient());
            assertThat(timedHealth()).isLessThan(java.time.Duration.ofSeconds(2)); // the oldest slow one made room
        } finally {
            for (java.net.Socket s : slow) s.close();
        }
    }

    private String raw(String request) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", admin.address().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aHeadTricklingInOneOctetAtATimeIsAnswered() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", admin.address().getPort())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(10_000);
            for (byte b : "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) {
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
            }
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                    .startsWith("HTTP/1.1 200 OK\r\n").contains("Connection: close\r\n").endsWith("serving\n");
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void requestHeadsOverTheLimitAndRequestBodiesAreRefused() throws Exception {
        String justUnder = "GET /health HTTP/1.1\r\nX-Pad: " + "a".repeat(AdminHttp.HEAD_LIMIT - 40) + "\r\n\r\n";
        assertThat(justUnder.length()).isLessThan(AdminHttp.HEAD_LIMIT);
        assertThat(raw(justUnder)).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nserving\n");
        String over = "GET /health HTTP/1.1\r\nX-Pad: " + "a".repeat(AdminHttp.HEAD_LIMIT) + "\r\n\r\n";
        assertThat(raw(over)).startsWith("HTTP/1.1 431 ");
        assertThat(raw("POST /check HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")).startsWith("HTTP/1.1 413 ");
        assertThat(raw("GET /health HTTP/2.0\r\n\r\n")).startsWith("HTTP/1.1 505 ");
        assertThat(raw("GET health\r\n\r\n")).startsWith("HTTP/1.1 400 ");
        assertThat(raw("GET /health HTTP/1.1\r\n folded: x\r\n\r\n")).startsWith("HTTP/1.1 400 ");
        assertThat(timedHealth()).isLessThan(java.time.Duration.ofSeconds(2));
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void theEndpointAnswersWhileEveryVirtualThreadCarrierIsBusy() throws Exception {
        // Virtual threads are not preempted: protocol sessions doing CPU work hold every carrier.
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        int carriers = Runtime.getRuntime().availableProcessors();
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(carriers);
        List<Thread> spinners = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < carriers; i++) {
                spinners.add(Thread.ofVirtual().start(() -> {
                    running.countDown();
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    while (!stop.get() && System.nanoTime() < deadline) Thread.onSpinWait();
                }));
            }
            assertThat(running.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(call(admin, "GET", "/health").statusCode()).isEqualTo(200);
            assertThat(call(admin, "GET", "/metrics").statusCode()).isEqualTo(200);
        } finally {
            stop.set(true);
            for (Thread t : spinners) t.join();
        }
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
