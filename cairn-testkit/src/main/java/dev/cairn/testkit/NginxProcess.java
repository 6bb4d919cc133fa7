// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx mail proxy for a test, from the Debian packages {@code nginx} and
 * {@code libnginx-mod-mail}: one process ({@code master_process off}, {@code daemon off}) with
 * its configuration, pid file and error log in a temporary directory of its own, an IMAP and a
 * POP3 listener on loopback ports of {@link Ports}, asking {@code auth_http} where each login
 * goes. The machine's own nginx service is not used.
 *
 * <p>{@link #installed()} tells whether the binary and the mail module are there; a test skips
 * without them on a developer's machine and fails in CI ({@code .ci/run} installs them).
 */
public final class NginxProcess implements AutoCloseable {
    /** The Debian packages: the server and its dynamic mail module. */
    public static final String PACKAGES = "nginx libnginx-mod-mail";
    public static final Path BINARY = Path.of("/usr/sbin/nginx");
    public static final Path MAIL_MODULE = Path.of("/usr/lib/nginx/modules/ngx_mail_module.so");
    private static final Duration START = Duration.ofSeconds(30);

    private final Path dir;
    private final Map<String, Integer> ports;
    private Process process;
    /** Kills nginx also when the test's JVM ends first. */
    private final Thread reaper = new Thread(this::kill, "nginx-reaper");

    private NginxProcess(Path dir, Map<String, Integer> ports) {
        this.dir = dir;
        this.ports = ports;
    }

    public static boolean installed() {
        return Files.isExecutable(BINARY) && Files.isReadable(MAIL_MODULE);
    }

    /** Whether a missing nginx fails the test (CI) rather than skipping it. */
    public static boolean required() {
        return "true".equals(System.getenv("CI"));
    }

    /**
     * Starts a mail proxy with a listener for each of {@code protocols} ("imap", "pop3") that asks
     * {@code authHttp} for each login, sending {@code keyHeader: key} ({@code auth_http_header});
     * returns once every listener accepts connections.
     */
    public static NginxProcess mailProxy(URI authHttp, String keyHeader, String key, List<String> protocols)
            throws IOException, InterruptedException {
        if (!installed()) {
            throw new AssertionError("nginx with its mail module is not installed (" + BINARY + ", " + MAIL_MODULE
                    + "): apt-get install " + PACKAGES + " (.ci/run does)");
        }
        for (int attempt = 1; ; attempt++) {
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (String p : protocols) ports.put(p, Ports.free());
            NginxProcess n = new NginxProcess(Files.createTempDirectory("cairn-nginx-"), ports);
            try {
                n.start(authHttp, keyHeader, key);
                return n;
            } catch (AssertionError e) {
                // another process took a port between Ports' check and nginx's bind: new ports
                boolean clash = n.errorLogText().contains("Address already in use");
                n.close();
                if (attempt < 3 && clash) continue;
                throw e;
            }
        }
    }

    private void start(URI authHttp, String keyHeader, String key) throws IOException, InterruptedException {
        StringBuilder servers = new StringBuilder();
        ports.forEach((protocol, port) -> servers.append("    server {\n        listen 127.0.0.1:").append(port)
                .append(";\n        protocol ").append(protocol).append(";\n    }\n"));
        Files.writeString(config(), """
                load_module %s;
                master_process off;
                worker_processes 1;
                pid %s;
                error_log %s info;
                events {
                    worker_connections 256;
                }
                mail {
                    auth_http %s;
                    auth_http_header %s "%s";
                    auth_http_timeout 60s;
                    proxy_pass_error_message on;
                    imap_auth login plain;
                    pop3_auth plain;
                %s}
                """.formatted(MAIL_MODULE, dir.resolve("nginx.pid"), errorLog(), authHttp, keyHeader, key, servers));
        process = new ProcessBuilder(BINARY.toString(), "-p", dir.toString(), "-c", config().toString(),
                "-e", errorLog().toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        Runtime.getRuntime().addShutdownHook(reaper);
        long deadline = System.nanoTime() + START.toNanos();
        for (int port : ports.values()) {
            while (!accepts(port)) {
                if (!process.isAlive()) throw new AssertionError("nginx ended at start (exit " + process.exitValue() + "): " + errorLogText());
                if (System.nanoTime() > deadline) throw new AssertionError("nginx did not listen on " + port + " within " + START + ": " + errorLogText());
                Thread.sleep(20);
            }
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The listener of {@code protocol}. */
    public int port(String protocol) {
        Integer p = ports.get(protocol);
        if (p == null) throw new IllegalArgumentException("no " + protocol + " listener");
        return p;
    }

    public Path config() { return dir.resolve("nginx.conf"); }

    public Path errorLog() { return dir.resolve("error.log"); }

    /** The error log (for a failing test's message), or what kept it from being read. */
    public String errorLogText() {
        try {
            return Files.exists(errorLog()) ? Files.readString(errorLog()) : "(no error log)";
        } catch (IOException e) {
            return "(error log unreadable: " + e + ")";
        }
    }

    private void kill() {
        Process p = process;
        if (p == null) return;
        p.destroy(); // SIGTERM: nginx's fast shutdown
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
        if (process != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
        process = null;
        deleteDirectory();
    }

    private void deleteDirectory() {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
