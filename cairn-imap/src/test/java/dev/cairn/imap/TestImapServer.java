// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.tls.TlsConfig;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real store in a temp directory and a real IMAP server on ephemeral loopback ports. Every user
 * "name" has the password "pw-name"; the throttle waits 1 ms so failure tests stay quick.
 */
final class TestImapServer implements AutoCloseable {
    final SlotStore store;
    final ImapServer server;
    final Path dir;

    TestImapServer(Path dir) throws Exception { this(dir, ImapConfig.Limits.DEFAULT); }

    TestImapServer(Path dir, ImapConfig.Limits limits) throws Exception { this(dir, limits, false); }

    TestImapServer(Path dir, ImapConfig.Limits limits, boolean plaintextAllowed) throws Exception {
        this(dir, limits, plaintextAllowed, InetAddress.getLoopbackAddress());
    }

    TestImapServer(Path dir, ImapConfig.Limits limits, boolean plaintextAllowed, InetAddress lo) throws Exception {
        this(dir, limits, plaintextAllowed, lo, dev.cairn.protocol.MemoryBudget.quarterOfHeap(), ImapConfig.HeavyWork.DEFAULT);
    }

    /** With a node memory budget of the test's choosing. */
    TestImapServer(Path dir, ImapConfig.Limits limits, dev.cairn.protocol.MemoryBudget memory) throws Exception {
        this(dir, limits, false, InetAddress.getLoopbackAddress(), memory, ImapConfig.HeavyWork.DEFAULT);
    }

    /** With a pool and budgets for heavy commands of the test's choosing. */
    TestImapServer(Path dir, ImapConfig.HeavyWork heavyWork) throws Exception {
        this(dir, ImapConfig.Limits.DEFAULT, false, InetAddress.getLoopbackAddress(),
                dev.cairn.protocol.MemoryBudget.quarterOfHeap(), heavyWork);
    }

    TestImapServer(Path dir, ImapConfig.Limits limits, boolean plaintextAllowed, InetAddress lo,
                   dev.cairn.protocol.MemoryBudget memory, ImapConfig.HeavyWork heavyWork) throws Exception {
        this(dir, limits, plaintextAllowed, java.util.List.of(), lo, memory, heavyWork);
    }

    /** Listening on {@code address}, where peers in {@code plaintextAuthNetworks} may log in without TLS. */
    TestImapServer(Path dir, java.util.List<dev.cairn.protocol.auth.Network> plaintextAuthNetworks, InetAddress address) throws Exception {
        this(dir, ImapConfig.Limits.DEFAULT, false, plaintextAuthNetworks, address, dev.cairn.protocol.MemoryBudget.quarterOfHeap(),
                ImapConfig.HeavyWork.DEFAULT);
    }

    private TestImapServer(Path dir, ImapConfig.Limits limits, boolean plaintextAllowed,
                           java.util.List<dev.cairn.protocol.auth.Network> plaintextAuthNetworks, InetAddress lo,
                           dev.cairn.protocol.MemoryBudget memory, ImapConfig.HeavyWork heavyWork) throws Exception {
        this.dir = dir;
        store = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot")).withSync(false));
        ImapConfig config = new ImapConfig(new InetSocketAddress(lo, 0), new InetSocketAddress(lo, 0),
                TlsConfig.selfSigned(dir.resolve("tls")).serverContext(), plaintextAllowed, limits,
                new AuthThrottle.Config(Duration.ofMillis(1), Duration.ofMillis(4), Duration.ofMinutes(1), 1000),
                dir.resolve("spool")).withHeavyWork(heavyWork).withPlaintextAuthNetworks(plaintextAuthNetworks);
        server = new ImapServer(config, store, (user, password, authzid, remote, secure) ->
                password.equals("pw-" + user) ? AuthResult.success(user) : AuthResult.invalid("wrong password"),
                new AuthThrottle(config.throttle(), java.time.Clock.systemUTC(), AuthThrottle.Sleeper.REAL), memory);
        server.start();
    }

    int port() { return server.address().getPort(); }

    int tlsPort() { return server.tlsAddress().getPort(); }

    @Override public void close() {
        server.close();
        store.close();
    }

    /** Runs a server until killed, for trying clients by hand: port in the first line of output. */
    public static void main(String[] args) throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("cairn-imap");
        try (TestImapServer s = new TestImapServer(dir)) {
            System.out.println(s.port() + " " + s.tlsPort());
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
