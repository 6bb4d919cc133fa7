// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: `cairn cluster demo` run as a process, as a user runs it, and used only through what it
 * prints: the sample user logs in over IMAP on the printed port of its store's master and finds the
 * sample mail; the printed master's pid is killed with kill -9; the same user logs in on the
 * replica's printed port once the store failed over, within the session timeout and a few seconds,
 * and finds the same mail; SIGTERM (what Ctrl-C does: the JVM's shutdown hooks) stops the demo,
 * and no node process, no printed port and no directory is left.
 */
@Timeout(600)
class ClusterDemoIT {
    private static final Pattern NODE = Pattern.compile("^  (n\\d)  pid (\\d+)  imap (\\S+)  pop3 (\\S+)  lmtp (\\S+)  admin (\\S+)  .*$");
    private static final Pattern PASSWORD = Pattern.compile("password: (\\S+)\\)$");
    private static final Pattern ZOOKEEPER = Pattern.compile("^  ZooKeeper (\\S+) in this process");
    private static final Pattern KILL = Pattern.compile("^  kill -9 (\\d+) .*# (n\\d), master of (s\\d)");
    private static final Pattern SUBJECT = Pattern.compile("^Subject: (.*)$");

    @TempDir Path dir;

    record Printed(String pid, String imap, String pop3, String lmtp, String admin) {}

    @Test void theDemoServesItsSampleMailFailsAKilledMasterOverAndLeavesNothingRunning() throws Exception {
        Path where = dir.resolve("demo");
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
                "dev.cairn.server.Main", "cluster", "demo", "--dir", where.toString()).redirectErrorStream(true).start();
        Thread reaper = new Thread(() -> killAll(demo));
        Runtime.getRuntime().addShutdownHook(reaper);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                    all.add(l);
                }
            } catch (IOException e) {
                // the demo exited
            }
        });
        try {
            long started = System.nanoTime();
            Map<String, Printed> nodes = new LinkedHashMap<>();
            String password = null, zookeeper = null, killPid = null, killNode = null, killStore = null;
            for (String l; (l = next(lines, demo, all, "the demo's banner")) != null && !l.startsWith("Ctrl-C stops"); ) {
                Matcher m;
                if ((m = NODE.matcher(l)).matches()) nodes.put(m.group(1), new Printed(m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)));
                if ((m = PASSWORD.matcher(l)).find()) password = m.group(1);
                if ((m = ZOOKEEPER.matcher(l)).find()) zookeeper = m.group(1);
                if ((m = KILL.matcher(l)).find()) {
                    killPid = m.group(1);
                    killNode = m.group(2);
                    killStore = m.group(3);
                }
            }
            System.out.printf("cluster demo: ready %d ms after it was started (%s)%n", Duration.ofNanos(System.nanoTime() - started).toMillis(),
                    all.stream().filter(l -> l.startsWith("ready in")).findFirst().orElse("?"));
            assertThat(nodes).containsOnlyKeys("n1", "n2", "n3");
            assertThat(password).isNotNull();
            assertThat(killNode).isEqualTo("n1");
            assertThat(killStore).isEqualTo("s1");
            assertThat(killPid).isEqualTo(nodes.get("n1").pid());
            // Each node registered its own addresses (advertise = 127.0.0.1), every port its own.
            assertThat(nodes.values().stream().flatMap(p -> List.of(p.imap, p.pop3, p.lmtp, p.admin).stream()).distinct().count()).isEqualTo(12);
            assertThat(nodes.values()).allSatisfy(p -> assertThat(p.imap).startsWith("127.0.0.1:"));

            List<String> expected = List.of("Welcome to the Cairn cluster demo", "Where your mail lives", "Try a failover");
            assertThat(subjects(nodes.get("n1").imap, "alice", password)).containsExactlyElementsOf(expected);

            long killed = System.nanoTime();
            assertThat(new ProcessBuilder("kill", "-9", killPid).start().waitFor()).isZero();
            List<String> after = null;
            String lastRefusal = null;
            while (after == null && System.nanoTime() - killed < Duration.ofSeconds(60).toNanos()) {
                try {
                    after = subjects(nodes.get("n2").imap, "alice", password);
                } catch (IOException refused) {
                    lastRefusal = refused.getMessage();
                    Thread.sleep(100);
                }
            }
            Duration failover = Duration.ofNanos(System.nanoTime() - killed);
            System.out.printf("cluster demo: kill -9 of n1 -> alice logged in on n2 with her mail after %d ms (session timeout %d ms; last refusal: %s)%n",
                    failover.toMillis(), DemoLayout.SESSION_TIMEOUT.toMillis(), lastRefusal);
            assertThat(after).as("alice's mail on n2 after the failover (last refusal: " + lastRefusal + ")").containsExactlyElementsOf(expected);
            assertThat(failover).isLessThan(DemoLayout.SESSION_TIMEOUT.plusSeconds(5));
            // The demo reports what happened.
            for (String l; (l = next(lines, demo, all, "the failover's line")) != null && !l.contains("failover: store s1 n1/a -> n2/b"); ) { }

            // SIGTERM runs the shutdown hooks Ctrl-C runs (SIGINT may be ignored by a process started in the
            // background); sent with kill, as Process.destroy() would also close the pipe the last lines come through.
            assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(demo.pid())).start().waitFor()).isZero();
            assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("the demo stops within 90 s").isTrue();
            reader.join(30_000); // the demo's last lines, up to the end of its output
            assertThat(String.join("\n", all)).as("exit status " + demo.exitValue()).contains("stopped; removed " + where);
            for (Printed p : nodes.values()) {
                assertThat(ProcessHandle.of(Long.parseLong(p.pid)).filter(ProcessHandle::isAlive)).as("node pid " + p.pid).isEmpty();
                for (String address : List.of(p.imap, p.pop3, p.lmtp, p.admin)) assertFree(address);
            }
            assertFree(zookeeper);
            assertThat(where).doesNotExist();
        } finally {
            Runtime.getRuntime().removeShutdownHook(reaper);
            killAll(demo);
            System.out.println("demo output:\n" + String.join("\n", all));
            for (String node : List.of("n1", "n2")) {
                Path log = where.resolve(node + ".log");
                if (Files.exists(log)) System.out.println(node + ".log:\n" + Files.readAllLines(log).stream()
                        .filter(l -> l.contains("cluster") || l.contains("s1") || l.contains("auth:")).reduce("", (a, b) -> a + b + "\n"));
            }
        }
    }

    /** The next line the demo prints; fails when it exits first or prints nothing for five minutes. */
    private static String next(BlockingQueue<String> lines, Process demo, List<String> all, String waitingFor) throws Exception {
        String l = null;
        for (long waited = 0; l == null && waited < 300 && (demo.isAlive() || !lines.isEmpty()); waited++) l = lines.poll(1, TimeUnit.SECONDS);
        if (l == null) l = lines.poll(1, TimeUnit.SECONDS); // the reader's last lines after the exit
        if (l == null) throw new AssertionError("waiting for " + waitingFor + ": " + (demo.isAlive() ? "nothing printed for 5 min" : "the demo exited")
                + ":\n" + String.join("\n", all));
        return l;
    }

    private static void assertFree(String hostPort) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new java.net.InetSocketAddress(InetAddress.getByName(hostPort.substring(0, colon)), Integer.parseInt(hostPort.substring(colon + 1))));
        }
    }

    private static void killAll(Process demo) {
        demo.descendants().forEach(ProcessHandle::destroyForcibly);
        demo.destroyForcibly();
    }

    /** The subjects in the user's INBOX over IMAP at {@code hostPort}; IOException when the login is refused. */
    private static List<String> subjects(String hostPort, String user, String password) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        try (Socket s = new Socket(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))) {
            s.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            List<String> login = command(in, out, "a LOGIN " + user + " " + password);
            if (!login.getLast().startsWith("a OK")) throw new IOException(login.getLast());
            List<String> select = command(in, out, "b SELECT INBOX");
            if (!select.getLast().startsWith("b OK")) throw new IOException(select.getLast());
            List<String> subjects = new ArrayList<>();
            for (String l : command(in, out, "c FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
                Matcher m = SUBJECT.matcher(l);
                if (m.find()) subjects.add(m.group(1).strip());
            }
            return subjects;
        }
    }

    private static List<String> command(BufferedReader in, OutputStream out, String command) throws IOException {
        out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String tag = command.substring(0, command.indexOf(' ') + 1);
        List<String> lines = new ArrayList<>();
        String l;
        do {
            l = in.readLine();
            if (l == null) throw new IOException("connection closed");
            lines.add(l);
        } while (!l.startsWith(tag));
        return lines;
    }
}
