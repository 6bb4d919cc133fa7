// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * One standalone ZooKeeper server inside this JVM, on a loopback port of its own, for
 * {@code cairn cluster demo}: a real server (the zookeeper jar's {@link ZooKeeperServer}), but a
 * single one, so it is no ensemble and no place for data that matters. Ticks of 250 ms allow
 * sessions of 0.5 to 5 s (2 to 20 ticks), so a node's death is seen within seconds.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
    /** Milliseconds of one tick: sessions may be 2 to 20 ticks long. */
    public static final int TICK_MILLIS = 250;

    private final ZooKeeperServer server;
    private final ServerCnxnFactory connections;

    private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory connections) {
        this.server = server;
        this.connections = connections;
    }

    /** Starts a server keeping its snapshots and log in {@code dir} (created), on 127.0.0.1 and a free port. */
    public static EmbeddedZooKeeper start(Path dir) throws IOException {
        Files.createDirectories(dir);
        // Read by the connection factory (unset or 0, it warns that it is not configured).
        if (System.getProperty("zookeeper.maxCnxns") == null) System.setProperty("zookeeper.maxCnxns", "1000");
        ZooKeeperServer server = new ZooKeeperServer(dir.toFile(), dir.toFile(), TICK_MILLIS);
        ServerCnxnFactory connections = ServerCnxnFactory.createFactory(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        try {
            connections.startup(server);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connections.shutdown();
            throw new IOException("ZooKeeper: interrupted while starting", e);
        } catch (IOException | RuntimeException e) {
            connections.shutdown();
            throw e;
        }
        return new EmbeddedZooKeeper(server, connections);
    }

    /** {@code 127.0.0.1:PORT}, for {@code [cluster] zookeeper}. */
    public String connectString() { return "127.0.0.1:" + connections.getLocalPort(); }

    public int port() { return connections.getLocalPort(); }

    /** The longest session the server grants (20 ticks). */
    public Duration maxSessionTimeout() { return Duration.ofMillis(server.getMaxSessionTimeout()); }

    /** Stops serving: connections closed, the port released, the database closed. */
    @Override public void close() {
        connections.shutdown();
        server.shutdown();
    }
}
