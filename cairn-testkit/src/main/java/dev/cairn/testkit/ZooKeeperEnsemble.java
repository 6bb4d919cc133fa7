// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A real ZooKeeper ensemble for integration tests: N servers (3 by default), each a JVM of its
 * own running {@code org.apache.zookeeper.server.quorum.QuorumPeerMain} from the zookeeper jar on
 * the test's class path, on loopback, so that a test can kill one with SIGKILL ({@link #kill}),
 * start it again ({@link #restart}) and find the leader ({@link #leader}) through the four-letter
 * word {@code srvr}. The test kit does not depend on ZooKeeper: a module whose tests use this puts
 * the zookeeper jar on its own test class path.
 *
 * <p>Ticks of 250 ms make sessions of 0.5 to 5 s possible; each server's data and log
 * ({@code zk<i>.log}) are under the given directory.
 */
public final class ZooKeeperEnsemble implements AutoCloseable {
    private static final String MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
    /** Milliseconds of one ZooKeeper tick: sessions may be 2 to 20 ticks long. */
    public static final int TICK_MILLIS = 250;
    private static final Duration QUORUM_WAIT = Duration.ofSeconds(60);

    private final Path dir;
    /** The address the servers take clients on (127.0.0.1 unless {@link #start(Path, int, String)} said otherwise). */
    private final String clientHost;
    private final int[] clientPorts;
    private final Process[] servers;
    private final Thread killer = new Thread(this::killAll, "zookeeper-ensemble-killer");

    private ZooKeeperEnsemble(Path dir, int n, String clientHost) throws IOException {
        this.dir = dir;
        this.clientHost = clientHost;
        this.clientPorts = new int[n];
        this.servers = new Process[n];
        int[] quorum = new int[n], election = new int[n];
        for (int i = 0; i < n; i++) {
            clientPorts[i] = Ports.free();
            quorum[i] = Ports.free();
            election[i] = Ports.free();
        }
        for (int i = 0; i < n; i++) {
            Path data = dir.resolve("zk" + i);
            Files.createDirectories(data);
            Files.writeString(data.resolve("myid"), Integer.toString(i + 1));
            StringBuilder cfg = new StringBuilder()
                    .append("tickTime=").append(TICK_MILLIS).append('\n')
                    .append("initLimit=40\nsyncLimit=20\n")
                    .append("dataDir=").append(data.toAbsolutePath()).append('\n')
                    .append("clientPort=").append(clientPorts[i]).append('\n')
                    .append("clientPortAddress=").append(clientHost).append('\n')
                    .append("4lw.commands.whitelist=srvr,ruok,stat\n")
                    .append("admin.enableServer=false\n")
                    .append("maxClientCnxns=0\n");
            for (int j = 0; j < n; j++)
                cfg.append("server.").append(j + 1).append("=127.0.0.1:").append(quorum[j]).append(':').append(election[j]).append('\n');
            Files.writeString(data.resolve("zoo.cfg"), cfg);
        }
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Starts {@code n} servers under {@code dir} and returns when they have a leader and every one serves. */
    public static ZooKeeperEnsemble start(Path dir, int n) throws Exception {
        return start(dir, n, "127.0.0.1");
    }

    /**
     * Starts {@code n} servers that take clients on {@code clientHost} (an address of this host,
     * e.g. one a network namespace reaches); the quorum's own links stay on loopback.
     */
    public static ZooKeeperEnsemble start(Path dir, int n, String clientHost) throws Exception {
        try {
            Class.forName(MAIN, false, ZooKeeperEnsemble.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("ZooKeeperEnsemble needs org.apache.zookeeper:zookeeper on the test class path", e);
        }
        ZooKeeperEnsemble ensemble = new ZooKeeperEnsemble(dir, n, clientHost);
        try {
            for (int i = 0; i < n; i++) ensemble.launch(i);
            ensemble.awaitQuorum();
            return ensemble;
        } catch (Exception | Error e) {
            ensemble.close();
            throw e;
        }
    }

    /** Three servers. */
    public static ZooKeeperEnsemble start(Path dir) throws Exception {
        return start(dir, 3);
    }

    /** {@code 127.0.0.1:p1,127.0.0.1:p2,...} (or the client host's), every server. */
    public String connectString() {
        StringJoiner j = new StringJoiner(",");
        for (int p : clientPorts) j.add(clientHost + ":" + p);
        return j.toString();
    }

    /** The client port of server {@code i} (from 0). */
    public int clientPort(int i) { return clientPorts[i]; }

    public int size() { return servers.length; }

    /** SIGKILL to server {@code i}; returns when the process is gone. */
    public void kill(int i) throws InterruptedException {
        Process p = servers[i];
        if (p == null) return;
        p.destroyForcibly();
        p.waitFor();
        servers[i] = null;
    }

    /** Starts server {@code i} again (same ports, same data) and waits until every running server serves. */
    public void restart(int i) throws Exception {
        kill(i);
        launch(i);
        awaitQuorum();
    }

    /** The server that says it leads ({@code srvr}: "Mode: leader"), or -1 when none does now. */
    public int leader() {
        for (int i = 0; i < servers.length; i++) if (servers[i] != null && "leader".equals(mode(i))) return i;
        return -1;
    }

    /** What server {@code i} says it is: leader, follower, standalone; null when it does not serve. */
    public String mode(int i) {
        String answer = fourLetters(clientHost, clientPorts[i], "srvr");
        for (String line : answer.split("\n")) if (line.startsWith("Mode: ")) return line.substring(6).strip();
        return null;
    }

    /** Kills every server. */
    @Override public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException e) {
            // shutting down already
        }
    }

    private void killAll() {
        for (int i = 0; i < servers.length; i++) {
            try {
                kill(i);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void launch(int i) throws IOException {
        Path data = dir.resolve("zk" + i);
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData", "-Dzookeeper.admin.enableServer=false", "-Dzookeeper.jmx.log4j.disable=true",
                "-cp", System.getProperty("java.class.path"), MAIN, data.resolve("zoo.cfg").toAbsolutePath().toString()));
        servers[i] = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("zk" + i + ".log").toFile())).start();
    }

    private void awaitQuorum() throws Exception {
        long deadline = System.nanoTime() + QUORUM_WAIT.toNanos();
        String state;
        while ((state = quorumState()) != null) {
            if (System.nanoTime() - deadline > 0) throw new IllegalStateException("no ZooKeeper quorum within " + QUORUM_WAIT + ": " + state);
            Thread.sleep(100);
        }
    }

    /** Null when every running server serves and exactly one leads; else what is missing. */
    private String quorumState() {
        int leaders = 0;
        for (int i = 0; i < servers.length; i++) {
            if (servers[i] == null) continue;
            if (!servers[i].isAlive()) throw new IllegalStateException("ZooKeeper server " + i + " exited: see " + dir.resolve("zk" + i + ".log"));
            String mode = mode(i);
            if (mode == null) return "server " + i + " does not serve yet";
            if (mode.equals("leader")) leaders++;
        }
        return leaders == 1 ? null : leaders + " leaders";
    }

    /** A four-letter word's answer; empty when the server does not answer. */
    private static String fourLetters(String host, int port, String word) {
        try (Socket s = new Socket(InetAddress.getByName(host), port)) {
            s.setSoTimeout(2_000);
            OutputStream out = s.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }
}
