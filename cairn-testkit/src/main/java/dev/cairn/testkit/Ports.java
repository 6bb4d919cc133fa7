// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for listeners that must be named before they bind: a node in another process, or a
 * cluster whose config names its peers' ports. A server the test starts in its own JVM binds
 * port 0 and reports the port it got; it needs none of this.
 *
 * <p>A port bound to 0 and released comes from the kernel's ephemeral range, where any outgoing
 * connection on the machine may take it before the node binds it ("Address already in use", seen
 * under load). These come from below that range (Linux: 32768 and up), where only listeners bind,
 * are checked free on loopback, and are never handed out twice by one JVM. A listener of another
 * process may still take one between the check and the node's bind: {@link #isClash} tells that
 * failure apart, and {@link TestCluster#start} then starts the node again on new ports.
 */
public final class Ports {
    private static final int FIRST = 20_000, END = 32_000;
    /**
     * The build runs integration test classes in several JVMs at once (failsafe's forkCount): fork
     * {@code cairn.test.fork} of {@code cairn.test.forks} takes only the ports of its own residue,
     * so no two forks ever hand out the same port and one's check-then-bind cannot race another's.
     */
    private static final int FORKS = Math.max(1, Integer.getInteger("cairn.test.forks", 1)),
            FORK = Math.floorMod(Integer.getInteger("cairn.test.fork", 1) - 1, FORKS);
    private static final Set<Integer> given = ConcurrentHashMap.newKeySet();

    private Ports() {}

    /** A loopback port that was free a moment ago and that this JVM has not handed out before. */
    public static int free() throws IOException {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = FIRST + FORKS * ThreadLocalRandom.current().nextInt((END - FIRST) / FORKS) + FORK;
            if (!given.add(port)) continue;
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // another listener has it: try another
            }
        }
        throw new IOException("no free port between " + FIRST + " and " + END);
    }

    /** Whether {@code failure} (or a cause of it) is a listener that found its port taken. */
    public static boolean isClash(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BindException) return true;
            if (t.getMessage() != null && t.getMessage().contains("Address already in use")) return true;
        }
        return false;
    }
}
