// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.directory.NewUser;
import dev.cairn.directory.SqlDirectory;
import dev.cairn.directory.User;
import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.testkit.Mbsync;
import dev.cairn.testkit.Ports;
import dev.cairn.testkit.PostfixInstance;
import dev.cairn.testkit.PostgresServer;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import jakarta.mail.Folder;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.event.MessageCountAdapter;
import jakarta.mail.event.MessageCountEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, must-shows 1 and 3, with real processes: three {@code cairn serve} nodes (stores s1..s3
 * crosswise, each master on a node of its own with its replica on the next), a ZooKeeper ensemble,
 * the PostgreSQL directory, and one {@code cairn proxy} with IMAP, POP3 and LMTP listeners. Every
 * entry point (the proxy and each node) takes IMAP, POP3 and LMTP for every user and lands on the
 * master of the user's store, which serves its own users without a hop; mbsync's two-way sync and
 * Angus Mail's IDLE through the proxy behave as direct; Postfix hands the proxy's LMTP one message
 * for 100 recipients over the three stores and gets one reply per recipient, each the back-end's 250.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FrontEndsIT {
    private static final String SECRET = "front-ends test secret";
    /** Store -> its master's node; the replica is on the next node. */
    private static final Map<String, String> MASTERS = Map.of("s1", "n1", "s2", "n2", "s3", "n3");
    private static final List<String> NODES = List.of("n1", "n2", "n3");

    @TempDir static Path dir;
    private static ZooKeeperEnsemble zk;
    private static PostgresServer postgres;
    private static TestCluster c;
    private static NodeProcesses nodes;
    private static Process proxy;
    private static int proxyImap, proxyPop3, proxyLmtp, proxyAdmin;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll static void cluster() throws Exception {
        long t0 = System.nanoTime();
        // ZooKeeper and PostgreSQL start side by side
        CompletableFuture<ZooKeeperEnsemble> ensemble = started(() -> ZooKeeperEnsemble.start(dir.resolve("zk")));
        postgres = PostgresServer.start();
        zk = ensemble.get();
        postgres.createDatabase("cairn");
        Path password = postgres.writePasswordFile(dir.resolve("directory.password"));
        String[] directory = {"url = \"" + postgres.url("cairn") + "\"", "user = \"" + PostgresServer.USER + "\"",
                "password_file = \"" + password.toString().replace("\\", "/") + "\"", "pool_size = 2", "default_domain = \"example.org\""};
        c = TestCluster.of(dir, NODES.toArray(String[]::new)).store("sync = false", "channels = 1")
                .listen("imap", "pop3", "lmtp", "admin").slots("n1", "a", "b").slots("n2", "a", "b").slots("n3", "a", "b")
                .cluster(SECRET, zk.connectString(), "session_timeout = \"4s\"").replication("sync_timeout = \"2s\"")
                .directory(directory).build();
        nodes = new NodeProcesses(c, dir);
        // one JVM after the other: on a loaded machine four starting at once are slower than in turn
        for (String n : NODES) nodes.start(n, "128m");
        proxy = startProxy(directory);
        for (int i = 0; i < NODES.size(); i++) {
            String store = "s" + (i + 1);
            CliRun create = CliRun.run("", "store", "create", store, "--master", NODES.get(i) + "/a",
                    "--replicas", NODES.get((i + 1) % NODES.size()) + "/b", "--config", c.config("n1").toString());
            assertThat(create.status()).as(create.err()).isZero();
        }
        for (String n : NODES) {
            eventually(Duration.ofSeconds(60), () -> assertThat(nodes.status(n)).contains("role=master").contains("self=" + n + " in sync as of epoch"));
        }
        for (String store : MASTERS.keySet()) nodes.addUsersOn("n1", store, "user-" + store);
        nodes.addUsersOn("n1", "s2", "mbsync-proxied", "mbsync-direct");
        nodes.addUsersOn("n1", "s3", "idler");
        eventually(Duration.ofSeconds(60), () -> {
            assertThat(proxy.isAlive()).as(() -> "proxy exited: " + read(dir.resolve("proxy.log"))).isTrue();
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyAdmin + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        });
        System.out.printf("FrontEndsIT: cluster, proxy and users ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    /** {@code cairn proxy} with IMAP, POP3, LMTP and admin listeners, as an operator runs it. */
    private static Process startProxy(String[] directory) throws IOException {
        proxyImap = Ports.free();
        proxyPop3 = Ports.free();
        proxyLmtp = Ports.free();
        proxyAdmin = Ports.free();
        Path config = dir.resolve("proxy.toml");
        Files.writeString(config, String.join("\n", List.of(
                "data = \"" + dir.resolve("proxy").toString().replace("\\", "/") + "\"",
                "[directory]", String.join("\n", directory),
                "[imap]", "listen = \"127.0.0.1:" + proxyImap + "\"",
                "[pop3]", "listen = \"127.0.0.1:" + proxyPop3 + "\"",
                "[lmtp]", "listen = \"127.0.0.1:" + proxyLmtp + "\"",
                "[admin]", "listen = \"127.0.0.1:" + proxyAdmin + "\"",
                "[cluster]", "zookeeper = \"" + zk.connectString() + "\"", "session_timeout = \"4s\"",
                "[proxy]", "name = \"proxy-1\"", "secret = \"" + SECRET + "\"")) + "\n");
        List<String> command = new ArrayList<>(NodeProcesses.command(config, "128m"));
        command.set(command.indexOf("serve"), "proxy");
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("proxy.log").toFile())).start();
    }

    private interface Start<T> {
        T call() throws Exception;
    }

    /** Runs {@code start} in a thread of its own. */
    private static <T> CompletableFuture<T> started(Start<T> start) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(start.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @AfterAll static void stop() throws Exception {
        try {
            if (proxy != null) {
                proxy.destroy();
                if (!proxy.waitFor(20, TimeUnit.SECONDS)) proxy.destroyForcibly();
            }
        } finally {
            if (nodes != null) nodes.close();
            try {
                if (postgres != null) postgres.close();
            } finally {
                if (zk != null) zk.close();
            }
        }
    }

    /** An entry point: the proxy or a node, with its listeners. */
    private record Entry(String name, int imap, int pop3, int lmtp) {}

    private static List<Entry> entries() {
        List<Entry> all = new ArrayList<>(List.of(new Entry("proxy", proxyImap, proxyPop3, proxyLmtp)));
        for (String n : NODES) all.add(new Entry(n, c.port(n, "imap"), c.port(n, "pop3"), c.port(n, "lmtp")));
        return all;
    }

    @Test void everyEntryPointTakesImapPop3AndLmtpForEveryUserToItsStoresMasterWithNoHopOnTheMasterItself() throws Exception {
        for (String store : List.of("s1", "s2", "s3")) {
            String user = "user-" + store, master = MASTERS.get(store);
            List<String> expected = new ArrayList<>();
            for (Entry e : entries()) {
                String appended = "appended via " + e.name() + " for " + user, delivered = "delivered via " + e.name() + " for " + user;
                try (NodeProcesses.Imap imap = new NodeProcesses.Imap("127.0.0.1", e.imap(), user)) {
                    assertThat(imap.command(append("INBOX", "", message(appended, appended))).getLast()).contains(" OK");
                    expected.add(appended);
                    // while the session is open, a node that is not the master holds one relayed session to it; the master none
                    if (!e.name().equals("proxy")) {
                        Map<String, Double> relayed = backendConnections(e.name(), "imap");
                        if (e.name().equals(master)) assertThat(relayed.values()).as("%s relays nothing for its own user", e.name()).allMatch(v -> v == 0);
                        else assertThat(relayed).as("%s relays %s to %s", e.name(), user, master).containsEntry(master, 1.0);
                    }
                }
                assertThat(NodeProcesses.deliver("127.0.0.1", e.lmtp(), user, delivered)).startsWith("250 2.");
                expected.add(delivered);
                List<String> pop3 = pop3(e.pop3(), user, expected.size());
                assertThat(pop3.getFirst()).as("STAT via %s", e.name()).startsWith("+OK " + expected.size() + " ");
                assertThat(String.join("\n", pop3)).as("RETR via %s", e.name()).contains("Subject: " + delivered);
            }
            // on the master itself, asked as a front-end would (served there, never relayed again): each message once
            try (NodeProcesses.Imap direct = NodeProcesses.Imap.proxied("127.0.0.1", c.port(master, "imap"), user, SECRET)) {
                assertThat(subjects(direct)).containsExactlyInAnyOrderElementsOf(expected);
            }
        }
    }

    @Test void mbsyncSyncsBothWaysThroughTheProxyAsItDoesDirect() throws Exception {
        boolean installed = Mbsync.installed();
        if (!installed && "true".equals(System.getenv("CI"))) throw new AssertionError("mbsync (isync) is not installed");
        assumeTrue(installed, "mbsync (isync) is needed");
        Map<String, String> proxied = mbsyncRounds("mbsync-proxied", proxyImap);
        Map<String, String> direct = mbsyncRounds("mbsync-direct", c.port(MASTERS.get("s2"), "imap"));
        assertThat(proxied).isEqualTo(direct);
    }

    /**
     * Seeds the server (through {@code port}) and a Maildir, syncs, changes flags and deletes on
     * both sides, syncs twice; both sides must be equal after each round. The final state, Message-ID
     * -> Maildir flag letters.
     */
    private static Map<String, String> mbsyncRounds(String user, int port) throws Exception {
        String master = MASTERS.get("s2");
        try (NodeProcesses.Imap imap = new NodeProcesses.Imap("127.0.0.1", port, user)) {
            for (int i = 0; i < 20; i++) {
                assertThat(imap.command(append("INBOX", i % 3 == 0 ? "(\\Seen) " : "", message("remote " + i, "r" + i))).getLast()).contains(" OK");
            }
        }
        Path local = dir.resolve("maildir-" + user), inbox = local.resolve("INBOX");
        for (String sub : new String[] {"cur", "new", "tmp"}) Files.createDirectories(inbox.resolve(sub));
        for (int i = 0; i < 10; i++) {
            Files.writeString(inbox.resolve("cur").resolve("local" + i + ".test:2," + (i % 4 == 0 ? "FS" : "")), message("local " + i, "l" + i));
        }
        Path config = Mbsync.configure(dir.resolve("mbsyncrc-" + user), port, user, NodeProcesses.PASSWORD, local, inbox);
        Mbsync.run(config);
        Map<String, String> server = serverState(master, user);
        assertThat(server).hasSize(30).isEqualTo(Mbsync.maildirState(inbox));

        // both sides change: the server flags some and expunges others (of the 20 it was seeded with, in
        // their order), the Maildir flags and deletes
        try (NodeProcesses.Imap imap = new NodeProcesses.Imap("127.0.0.1", port, user)) {
            imap.command("SELECT INBOX");
            assertThat(imap.command("STORE 2,9,16 +FLAGS (\\Flagged \\Answered)").getLast()).contains(" OK");
            assertThat(imap.command("STORE 3,14,18 +FLAGS (\\Deleted)").getLast()).contains(" OK");
            assertThat(imap.command("EXPUNGE").getLast()).contains(" OK");
        }
        // chosen by Message-ID, not by file name (mbsync's names differ from run to run)
        List<Path> files;
        try (Stream<Path> s = Stream.concat(Files.list(inbox.resolve("cur")), Files.list(inbox.resolve("new")))) {
            files = s.toList();
        }
        for (Path f : files) {
            String id = Mbsync.messageId(f);
            String name = f.getFileName().toString();
            if (List.of("<l4@front-ends.test>", "<r6@front-ends.test>", "<r19@front-ends.test>").contains(id)) Files.delete(f);
            else if (List.of("<l3@front-ends.test>", "<r1@front-ends.test>", "<r10@front-ends.test>").contains(id) && !name.contains("S")) {
                Files.move(f, inbox.resolve("cur").resolve(name.contains(":2,") ? name + "S" : name + ":2,S"));
            }
        }
        Mbsync.run(config);
        Mbsync.run(config);
        server = serverState(master, user);
        assertThat(server).isEqualTo(Mbsync.maildirState(inbox));
        assertThat(server).hasSize(24); // 30, less 3 expunged on the server and 3 deleted in the Maildir
        assertThat(server.values()).anyMatch(v -> v.contains("F")).anyMatch(v -> v.contains("S")).anyMatch(v -> v.contains("R"));
        return server;
    }

    @Test void angusMailIdlingThroughTheProxySeesADeliveryThroughTheProxysLmtp() throws Exception {
        Properties props = new Properties();
        props.put("mail.imap.host", "127.0.0.1");
        props.put("mail.imap.port", Integer.toString(proxyImap));
        props.put("mail.imap.connectiontimeout", "30000");
        props.put("mail.imap.timeout", "60000");
        Store store = Session.getInstance(props).getStore("imap");
        store.connect("idler", NodeProcesses.PASSWORD);
        try {
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.open(Folder.READ_WRITE);
            CompletableFuture<Integer> added = new CompletableFuture<>();
            inbox.addMessageCountListener(new MessageCountAdapter() {
                @Override public void messagesAdded(MessageCountEvent e) { added.complete(e.getMessages()[0].getMessageNumber()); }
            });
            Thread idler = Thread.ofPlatform().name("idler").start(() -> {
                try {
                    while (!added.isDone() && inbox.isOpen()) inbox.idle(true);
                } catch (jakarta.mail.MessagingException | IllegalStateException closed) {
                    // the folder closed under it: the test is over
                }
            });
            assertThat(NodeProcesses.deliver("127.0.0.1", proxyLmtp, "idler", "while idling")).startsWith("250 2.");
            int number = added.get(60, TimeUnit.SECONDS);
            // the test thread's fetch ends the IDLE (DONE) through the relay as well
            assertThat(inbox.getMessage(number).getSubject()).isEqualTo("while idling");
            inbox.close(false);
            idler.join(30_000);
            assertThat(idler.isAlive()).isFalse();
        } finally {
            store.close();
        }
    }

    @Test void postfixHandsTheProxyOneMessageForAHundredRecipientsOverThreeStoresAndGetsEachBackEndsReplyInOrder() throws Exception {
        if (!PostfixInstance.runnable() && PostfixInstance.required()) throw new AssertionError("the Postfix test needs postfix, swaks and root");
        assumeTrue(PostfixInstance.runnable(), "starting a Postfix instance needs postfix, swaks and root");
        int recipients = 100;
        long t0 = System.nanoTime();
        List<String> addresses = new ArrayList<>();
        // placed as `cairn user add rN --no-password --store sK` does, through one directory connection (100 commands take ~20 s)
        try (SqlDirectory directory = Directories.open(ConfigLoader.load(c.config("n1")))) {
            for (int i = 0; i < recipients; i++) {
                User user = directory.addUser(NewUser.of("r" + i, null));
                directory.placement().place(user.name(), Optional.empty(), "s" + (i % 3 + 1));
                addresses.add("r" + i + "@example.org");
            }
        }
        System.out.printf("FrontEndsIT: %d users added in %d ms%n", recipients, (System.nanoTime() - t0) / 1_000_000);
        try (PostfixInstance postfix = PostfixInstance.start("127.0.0.1", proxyLmtp, recipients)) {
            postfix.send("sender@example.org", addresses, List.of("Subject: to a hundred"), "One message, three stores.\n.leading dot\n");
            // Postfix pairs the replies with its RCPTs in order: each address's reply names that address
            Pattern sent = Pattern.compile("to=<(r\\d+@example\\.org)>, relay=[^ ]+, .*status=sent \\(250 2\\.0\\.0 <\\1> ");
            eventually(Duration.ofSeconds(90), () -> {
                Matcher m = sent.matcher(postfix.log());
                int delivered = 0;
                while (m.find()) delivered++;
                assertThat(delivered).as(postfix.log()).isEqualTo(recipients);
            });
            assertThat(postfix.log()).doesNotContain("status=deferred").doesNotContain("status=bounced");
            // one LMTP connection for all of them: one transaction
            assertThat(Pattern.compile("postfix/lmtp\\[(\\d+)\\]: .*status=sent").matcher(postfix.log()).results()
                    .map(r -> r.group(1)).distinct().count()).isEqualTo(1);
        }
        for (int i = 0; i < recipients; i++) {
            String master = MASTERS.get("s" + (i % 3 + 1));
            try (NodeProcesses.Imap direct = NodeProcesses.Imap.proxied("127.0.0.1", c.port(master, "imap"), "r" + i, SECRET)) {
                assertThat(subjects(direct)).as("r%d on %s", i, master).containsExactly("to a hundred");
            }
        }
    }

    // --- helpers ---

    private static String message(String subject, String id) {
        return "From: sender@example.com\r\nTo: someone@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + id.replace(' ', '.')
                + "@front-ends.test>\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\nbody of " + subject + "\r\n";
    }

    /** APPEND with a non-synchronizing literal (RFC 7888), one line to send. */
    private static String append(String mailbox, String flags, String message) {
        return "APPEND " + mailbox + " " + flags + "{" + message.getBytes(StandardCharsets.UTF_8).length + "+}\r\n" + message;
    }

    /** The subjects of every message in INBOX, in order. */
    private static List<String> subjects(NodeProcesses.Imap imap) throws IOException {
        assertThat(imap.command("SELECT INBOX").getLast()).contains(" OK");
        List<String> fetched = imap.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
        assertThat(fetched.getLast()).contains(" OK");
        return fetched.stream().filter(l -> l.startsWith("Subject: ")).map(l -> l.substring("Subject: ".length())).toList();
    }

    /** Message-ID -> Maildir flag letters of the user's INBOX, asked on the master itself. */
    private static Map<String, String> serverState(String master, String user) throws IOException {
        try (NodeProcesses.Imap imap = NodeProcesses.Imap.proxied("127.0.0.1", c.port(master, "imap"), user, SECRET)) {
            imap.command("SELECT INBOX");
            List<String> lines = imap.command("FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
            assertThat(lines.getLast()).contains(" OK");
            Map<String, String> out = new TreeMap<>();
            String flags = null;
            for (String l : lines) {
                Matcher f = Pattern.compile("FLAGS \\(([^)]*)\\)").matcher(l);
                if (l.startsWith("* ") && f.find()) flags = letters(f.group(1));
                if (l.regionMatches(true, 0, "Message-ID: ", 0, 12)) out.put(l.substring(12).strip(), flags);
            }
            return out;
        }
    }

    private static String letters(String imapFlags) {
        StringBuilder sb = new StringBuilder();
        List<String> f = Arrays.asList(imapFlags.split(" "));
        if (f.contains("\\Draft")) sb.append('D');
        if (f.contains("\\Flagged")) sb.append('F');
        if (f.contains("\\Answered")) sb.append('R');
        if (f.contains("\\Seen")) sb.append('S');
        if (f.contains("\\Deleted")) sb.append('T');
        return sb.toString();
    }

    /** A POP3 session: USER/PASS, STAT, RETR {@code message} (its lines), QUIT; STAT's answer first. */
    private static List<String> pop3(int port, String user, int message) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            assertThat(in.readLine()).startsWith("+OK");
            for (String command : List.of("USER " + user, "PASS " + NodeProcesses.PASSWORD)) {
                out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertThat(in.readLine()).as(command).startsWith("+OK");
            }
            out.write("STAT\r\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> lines = new ArrayList<>(List.of(in.readLine()));
            out.write(("RETR " + message + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            for (String l = in.readLine(); l != null && !l.equals("."); l = in.readLine()) lines.add(l);
            out.write("QUIT\r\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(in.readLine()).startsWith("+OK");
            return lines;
        }
    }

    /** The entry node's open relayed sessions per back-end node ({@code cairn_proxy_backend_connections}). */
    private static Map<String, Double> backendConnections(String node, String protocol) throws Exception {
        Map<String, Double> out = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^cairn_proxy_backend_connections\\{([^}]*)\\} (\\S+)").matcher(nodes.admin(node, "GET", "/metrics"));
        while (m.find()) {
            Matcher n = Pattern.compile("node=\"([^\"]*)\"").matcher(m.group(1));
            if (m.group(1).contains("protocol=\"" + protocol + "\"") && n.find()) out.put(n.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
