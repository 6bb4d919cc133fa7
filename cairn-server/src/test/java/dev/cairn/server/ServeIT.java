// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.server.cli.CairnCommand;
import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** `cairn serve` in this JVM on port-0 listeners, driven over real sockets. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ServeIT {
    @TempDir Path data;
    private final CompletableFuture<Node> started = new CompletableFuture<>();
    private CompletableFuture<Integer> serving;
    private final HttpClient http = HttpClient.newHttpClient();

    private Node serve() throws Exception {
        return serve("127.0.0.1:0");
    }

    private Node serve(String admin) throws Exception {
        serving = CompletableFuture.supplyAsync(() -> {
            CommandLine cli = Main.commandLine(CairnCommand.embedded(new ByteArrayInputStream(new byte[0]), started::complete));
            int status = cli.execute("serve", "--data", data.toString(), "--imap", "127.0.0.1:0", "--pop3", "127.0.0.1:0",
                    "--lmtp", "127.0.0.1:0", "--admin", admin);
            started.completeExceptionally(new IllegalStateException("serve ended with " + status + " before serving"));
            return status;
        }, runnable -> Thread.ofPlatform().name("serve").start(runnable));
        return started.get(60, TimeUnit.SECONDS);
    }

    private int stop(Node node) throws Exception {
        node.requestStop();
        return serving.get(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (started.isDone() && !started.isCompletedExceptionally()) {
            started.get().requestStop();
            serving.get(60, TimeUnit.SECONDS);
        }
        http.close();
    }

    private HttpResponse<String> get(Node node, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(adminUri(node, path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI adminUri(Node node, String path) {
        InetSocketAddress admin = node.address("admin");
        return URI.create("http://127.0.0.1:" + admin.getPort() + path);
    }

    private CliRun cairn(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--data");
        all.add(data.toString());
        return CliRun.run(stdin, all.toArray(String[]::new));
    }

    @Test
    void servesMetricsOfStoreWritesChecksAndStopsCleanly() throws Exception {
        data = data.resolve("new-data");
        Node node = serve();
        assertThat(node.listening()).contains("imap", "pop3", "lmtp", "admin");
        assertThat(Files.getPosixFilePermissions(data)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.isDirectory(data.resolve("slot-0/meta"))).isTrue();
        assertThat(Files.isDirectory(data.resolve("tls"))).isTrue();
        assertThat(Files.isRegularFile(data.resolve("directory.db"))).isTrue();

        HttpResponse<String> health = get(node, "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("serving\n");

        assertThat(cairn("", "user", "add", "alice@example.org", "--no-password").status()).isZero();
        List<String> replies = deliverOverLmtp(node.address("lmtp"), "alice@example.org",
                "From: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n");
        assertThat(replies.getLast()).startsWith("250");

        HttpResponse<String> metrics = get(node, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(metricValue(metrics.body(), "cairn_store_commits_total")).isGreaterThanOrEqualTo(1);
        assertThat(metricValue(metrics.body(), "cairn_store_fsyncs_total")).isGreaterThanOrEqualTo(1);
        assertThat(metrics.body()).contains("cairn_store_commit_latency_seconds").contains("jvm_memory_used_bytes");

        // The admin endpoint wants the token; the CLI finds it in data/server.properties.
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(adminUri(node, "/check"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(get(node, "/check").statusCode()).isEqualTo(405);
        CliRun check = cairn("", "check");
        assertThat(check.status()).as(check.err()).isZero();
        assertThat(check.out()).contains("checked 1 user").contains("no problems");
        assertThat(cairn("", "check", "--user", "ALICE@example.org").out()).contains("checked 1 user");

        assertThat(stop(node)).isZero();
        assertThat(node.serving()).isFalse();
        assertThat(Files.exists(data.resolve("server.properties"))).isFalse();

        // RocksDB was closed: the slot opens again in this process, with the delivered message.
        NodeConfig config = NodeConfig.defaults().withData(data);
        try (SlotStore store = RocksSlotStore.open(Node.slotConfig(config, QuotaPolicy.UNLIMITED, new SimpleMeterRegistry()))) {
            MailboxInfo inbox = store.user("alice@example.org").mailbox("INBOX").orElseThrow();
            assertThat(inbox.messages()).isEqualTo(1);
        }
        // Without a server, check opens the slot itself.
        CliRun offline = cairn("", "check");
        assertThat(offline.status()).as(offline.err()).isZero();
        assertThat(offline.out()).contains("no problems");
    }

    @Test
    void userCommandsWhileServingApplyAtOnce() throws Exception {
        Node node = serve();
        DirectoryAuthenticator auth = new DirectoryAuthenticator(node.directory(), node.registry());
        InetAddress client = InetAddress.getLoopbackAddress();
        assertThat(node.directory().user("carol")).isEmpty();

        assertThat(cairn("first-password\n", "user", "add", "carol", "--password-stdin", "--address", "carol@example.org").status()).isZero();
        assertThat(node.directory().user("carol")).isPresent();
        assertThat(auth.authenticate("carol", "first-password", null, client, false)).isEqualTo(AuthResult.success("carol"));

        assertThat(cairn("second-password\n", "user", "passwd", "carol", "--password-stdin").status()).isZero();
        assertThat(auth.authenticate("carol", "first-password", null, client, false)).isInstanceOf(AuthResult.Failure.class);
        assertThat(auth.authenticate("carol", "second-password", null, client, false)).isEqualTo(AuthResult.success("carol"));

        assertThat(cairn("", "user", "alias", "add", "c@example.net", "carol").status()).isZero();
        assertThat(deliverOverLmtp(node.address("lmtp"), "c@example.net", "Subject: x\r\n\r\nbody\r\n").getLast()).startsWith("250");
        assertThat(node.store().hasUser("carol")).isTrue();
        // A real POP3 login over the node's listener goes through the directory.
        assertThat(pop3(node.address("pop3"), "USER carol", "PASS second-password", "STAT"))
                .containsExactly("+OK", "+OK", "+OK", "+OK 1");
        assertThat(pop3(node.address("pop3"), "USER carol", "PASS first-password").get(2)).startsWith("-ERR");
        List<String> imap = imap(node.address("imap"), "LOGIN carol@example.org second-password", "SELECT INBOX", "LOGOUT");
        assertThat(imap).contains("* 1 EXISTS").anyMatch(l -> l.startsWith("a1 OK")).anyMatch(l -> l.startsWith("a2 OK"));

        // Deleting removes the account at once and the mail through the running server.
        CliRun delete = cairn("", "user", "delete", "carol");
        assertThat(delete.status()).as(delete.err()).isZero();
        assertThat(delete.out()).contains("deleted carol from the directory").contains("deleted the mail of carol");
        assertThat(node.store().hasUser("carol")).isFalse();
        assertThat(deliverOverLmtp(node.address("lmtp"), "c@example.net", "Subject: x\r\n\r\nbody\r\n"))
                .anyMatch(line -> line.startsWith("550"));
        assertThat(stop(node)).isZero();
    }

    /** `cairn user add alice` and nothing else: LMTP takes <alice>, alice@localhost and alice@<this host>, as Dovecot's %Ln. */
    @Test
    void aUserAddedWithoutAddressReceivesAtItsNameInTheLocalDomainsOnly() throws Exception {
        Node node = serve();
        assertThat(cairn("a long password\n", "user", "add", "alice", "--password-stdin").status()).isZero();
        List<String> recipients = new ArrayList<>(List.of("alice", "Alice@LocalHost"));
        dev.cairn.server.config.MachineNames.hostname().ifPresent(h -> recipients.add("alice@" + h));
        for (String to : recipients) {
            assertThat(deliverOverLmtp(node.address("lmtp"), to, "Subject: to " + to + "\r\n\r\nhi\r\n").getLast())
                    .as(to).startsWith("250 2.0.0 <" + to + "> Saved in INBOX");
        }
        // Another domain is not local: the user's name is no address there, and the 550 says so.
        assertThat(deliverOverLmtp(node.address("lmtp"), "alice@example.org", "Subject: x\r\n\r\nx\r\n").getLast())
                .isEqualTo("550 5.1.1 <alice@example.org> User unknown: no address alice@example.org, and example.org is not a local"
                        + " domain (where user names are addresses)");
        assertThat(deliverOverLmtp(node.address("lmtp"), "bob", "Subject: x\r\n\r\nx\r\n").getLast())
                .isEqualTo("550 5.1.1 <bob> User unknown: no user bob");
        assertThat(node.store().user("alice").mailbox("INBOX").orElseThrow().messages()).isEqualTo(recipients.size());
        List<String> read = imap(node.address("imap"), "LOGIN alice \"a long password\"", "SELECT INBOX",
                "FETCH 1 BODY.PEEK[HEADER.FIELDS (RECEIVED)]", "LOGOUT");
        assertThat(read).anyMatch(l -> l.startsWith("Received: from client.example ([127.0.0.1])"))
                .anyMatch(l -> l.startsWith("\tfor <alice>; "));
        assertThat(stop(node)).isZero();
    }

    /** What the issue's operator met against a running node: each failure is one line now. */
    @Test
    void failuresAgainstARunningNodeAreOneLineEach() throws Exception {
        Node node = serve();
        long pid = ProcessHandle.current().pid();
        CliRun check = cairn("", "check", "--user", "nosuch");
        assertThat(check.status()).isEqualTo(1);
        assertThat(check.err()).isEqualTo("cairn: no such user: nosuch (HTTP 404)\n");
        CliRun status = cairn("", "replica", "status");
        assertThat(status.status()).isEqualTo(1);
        assertThat(status.err()).isEqualTo("cairn: the node (pid " + pid + ") runs without replication: its config has no [replication]\n");
        assertThat(status.out()).isEmpty();
        // A second node on the same data: refused before it starts anything (no "stopping" for a node that never ran).
        CliRun second = CliRun.run("", "serve", "--data", data.toString(), "--imap", "127.0.0.1:0", "--pop3", "127.0.0.1:0",
                "--lmtp", "127.0.0.1:0", "--admin", "127.0.0.1:0");
        assertThat(second.status()).isEqualTo(1);
        assertThat(second.err()).isEqualTo("cairn: " + data + " is in use by pid " + pid + " (a node; admin endpoint 127.0.0.1:"
                + node.address("admin").getPort() + "): one node per data directory\n");
        assertThat(get(node, "/health").statusCode()).isEqualTo(200);
        // The admin endpoint answers a failing request with a status and a body (it used to close without a word).
        RunFile run = RunFile.read(data.resolve("server.properties")).orElseThrow();
        HttpResponse<String> raw = http.send(HttpRequest.newBuilder(adminUri(node, "/check?user=nosuch"))
                .header("Authorization", "Bearer " + run.token()).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(404);
        assertThat(raw.body()).isEqualTo("no such user: nosuch\n");
        assertThat(stop(node)).isZero();
    }

    @Test
    void checkWithoutAdminEndpointSaysTheSlotIsInUse() throws Exception {
        Node node = serve("off");
        assertThat(node.listening()).doesNotContain("admin");
        assertThat(Files.exists(data.resolve("server.properties"))).isFalse();
        CliRun check = cairn("", "check");
        assertThat(check.status()).isEqualTo(1);
        assertThat(check.err()).isEqualTo("cairn: cannot open the slot at " + data.resolve("slot-0/meta") + ": it is in use by pid "
                + ProcessHandle.current().pid() + " (a node without admin endpoint?)\n");
        // The refused check left the running node's store alone.
        assertThat(node.store().check(null, false).clean()).isTrue();
        assertThat(stop(node)).isZero();
    }

    @Test
    void portInUseIsOneClearLineAndExitStatusOne() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            CliRun run = CliRun.run("", "serve", "--data", data.toString(), "--imap", "127.0.0.1:0", "--pop3", "127.0.0.1:0",
                    "--lmtp", address, "--admin", "127.0.0.1:0");
            assertThat(run.status()).isEqualTo(1);
            assertThat(run.err()).startsWith("cairn: lmtp: cannot listen on " + address).doesNotContain("\tat ");
        }
        // What had started was stopped again: the slot and the directory open in this process.
        NodeConfig config = NodeConfig.defaults().withData(data);
        try (SlotStore store = RocksSlotStore.open(Node.slotConfig(config, QuotaPolicy.UNLIMITED, new SimpleMeterRegistry()))) {
            assertThat(store.users()).isEmpty();
        }
        assertThat(Files.exists(data.resolve("server.properties"))).isFalse();
    }

    /** One LMTP transaction (RFC 2033); the replies, one per line read. */
    static List<String> deliverOverLmtp(InetSocketAddress lmtp, String recipient, String message) throws Exception {
        List<String> replies = new ArrayList<>();
        try (Socket socket = new Socket(lmtp.getAddress(), lmtp.getPort())) {
            socket.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            replies.add(reply(in));
            send(out, "LHLO client.example");
            replies.add(reply(in));
            send(out, "MAIL FROM:<bob@example.org>");
            replies.add(reply(in));
            send(out, "RCPT TO:<" + recipient + ">");
            String rcpt = reply(in);
            replies.add(rcpt);
            if (!rcpt.startsWith("250")) {
                send(out, "QUIT");
                return replies;
            }
            send(out, "DATA");
            replies.add(reply(in));
            out.write((message + ".\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            replies.add(reply(in));
            send(out, "QUIT");
        }
        return replies;
    }

    /** A POP3 conversation: the greeting and each reply, cut to the status and first word after it. */
    static List<String> pop3(InetSocketAddress address, String... commands) throws Exception {
        List<String> replies = new ArrayList<>();
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            replies.add(in.readLine());
            for (String command : commands) {
                send(out, command);
                replies.add(in.readLine());
            }
            send(out, "QUIT");
        }
        return replies.stream().map(r -> {
            String[] words = r.split(" ");
            return r.startsWith("+OK") && words.length > 1 && words[1].matches("\\d+") ? "+OK " + words[1]
                    : r.startsWith("+OK") ? "+OK" : r;
        }).toList();
    }

    /** An IMAP conversation: commands tagged a1, a2, ...; every line the server sent. */
    static List<String> imap(InetSocketAddress address, String... commands) throws Exception {
        List<String> lines = new ArrayList<>();
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            lines.add(in.readLine());
            for (int i = 0; i < commands.length; i++) {
                String tag = "a" + (i + 1);
                send(out, tag + " " + commands[i]);
                String line;
                do {
                    line = in.readLine();
                    if (line == null) {
                        return lines;
                    }
                    lines.add(line);
                } while (!line.startsWith(tag + " "));
            }
        }
        return lines;
    }

    private static void send(OutputStream out, String line) throws Exception {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** The last line of a possibly multi-line reply. */
    private static String reply(BufferedReader in) throws Exception {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IllegalStateException("connection closed");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    static double metricValue(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
