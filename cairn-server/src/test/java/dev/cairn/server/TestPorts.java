// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for tests whose nodes run in other processes and must know their peers' ports before
 * they start (a replication config names them), so port 0 cannot be used.
 *
 * <p>A port bound to 0 and released is taken from the kernel's ephemeral range, where any
 * outgoing connection on the machine may take it before the node binds it ("Address already in
 * use", seen under load). These come from below that range (Linux: 32768 and up), where only
 * listeners bind, are checked free on loopback, and are never handed out twice by one JVM.
 */
final class TestPorts {
    private static final int FIRST = 20_000, END = 32_000;
    private static final Set<Integer> given = ConcurrentHashMap.newKeySet();

    private TestPorts() {}

    static int free() throws IOException {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(FIRST, END);
            if (!given.add(port)) continue;
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // another listener has it: try another
            }
        }
        throw new IOException("no free port between " + FIRST + " and " + END);
    }
}
