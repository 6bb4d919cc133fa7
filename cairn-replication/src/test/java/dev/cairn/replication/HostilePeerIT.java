// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.Frame.*;
import dev.cairn.replication.ReplicationConfig.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replica's listener against peers that never prove the cluster secret: frame lengths that
 * would fill the heap, bytes that trickle, more connections than it admits, and a failure inside
 * a connection's thread, which must reach the log (once, however often it happens).
 */
class HostilePeerIT {
    private static final int MiB = 1 << 20;

    @TempDir Path dir;
    @TempDir static Path certificates;

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static Socket connect(TwoNodes t) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), t.nodes.get("b").address().getPort());
        s.setSoTimeout(15_000);
        return s;
    }

    /** A Hello whose frame length (type and payload) is exactly {@code length} bytes. */
    private static Hello helloOfLength(int length, byte[] nonce) {
        int base = FrameCodec.encode(new Hello(FrameCodec.VERSION, "", "s1", 0, 0, nonce)).length - 4;
        return new Hello(FrameCodec.VERSION, "n".repeat(length - base), "s1", 0, 0, nonce);
    }

    /** What the replica answers a Hello: its Challenge, its Error, or null when it just closes. */
    private static Frame answer(TwoNodes t, Hello hello) throws IOException {
        try (Socket s = connect(t); FrameConnection c = new FrameConnection(s, FrameCodec.DEFAULT_MAX_FRAME)) {
            c.send(hello);
            return c.read();
        } catch (java.io.EOFException | java.net.SocketException closed) {
            return null;
        } catch (FrameCodec.BadFrame e) {
            throw new AssertionError(e);
        }
    }

    /** Reads until the replica closes the connection: true if it did within the socket's timeout. */
    private static boolean closedByReplica(Socket s) {
        try {
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // an Error frame, then the end
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test @Timeout(120)
    void aHundredPeersAnnouncingAn80MiBFrameBeforeTheHandshakeDoNotGrowTheHeap() throws Exception {
        try (LogCapture logs = new LogCapture(); TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            t.awaitConnected("a");
            long before = heapAfterGc();
            List<Socket> peers = new ArrayList<>();
            try {
                for (int i = 0; i < 100; i++) {
                    Socket s = connect(t);
                    peers.add(s);
                    // [length 80 MiB][type Changes]: then nothing; the replica must not reserve the 80 MiB.
                    s.getOutputStream().write(ByteBuffer.allocate(5).putInt(FrameCodec.DEFAULT_MAX_FRAME).put((byte) FrameCodec.CHANGES).array());
                    s.getOutputStream().flush();
                }
                // Refused peers see the end at once; a listener that waits for the 80 MiB holds them (5 s at most here).
                long deadline = System.nanoTime() + 5_000_000_000L;
                int refused = 0;
                for (Socket s : peers) {
                    s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                    if (closedByReplica(s)) refused++;
                }
                long grown = heapAfterGc() - before;
                assertThat(grown).as("heap growth after GC with 100 peers holding 80 MiB announcements").isLessThan(64L * MiB);
                assertThat(refused).isEqualTo(100);
            } finally {
                for (Socket s : peers) s.close();
            }
            // One line for the hundred refusals (each names its peer; the rest are counted).
            assertThat(logs.warningsContaining("bad frame")).hasSize(1).allMatch(l -> l.contains("/127.0.0.1:") && l.contains("limit " + FrameCodec.HANDSHAKE_MAX_FRAME));
            // The master still ships.
            t.user("a", "alice").append("INBOX", List.of(ReplicationIT.message("after", "the flood")));
            t.awaitCaughtUp("a", "b", "alice");
        }
    }

    @Test @Timeout(60)
    void aHelloJustUnderTheHandshakeLimitIsAnsweredAndOneByteOverIsRefused() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            byte[] nonce = Handshake.nonce();
            assertThat(answer(t, helloOfLength(FrameCodec.HANDSHAKE_MAX_FRAME - 1, nonce))).isInstanceOf(Challenge.class);
            assertThat(answer(t, helloOfLength(FrameCodec.HANDSHAKE_MAX_FRAME, nonce))).isInstanceOf(Challenge.class);
            assertThat(answer(t, helloOfLength(FrameCodec.HANDSHAKE_MAX_FRAME + 1, nonce)))
                    .isInstanceOfSatisfying(Frame.Error.class, e -> assertThat(e.code()).isEqualTo(Frame.BAD_FRAME));
        }
    }

    @Test @Timeout(60)
    void aPeerSendingOneByteASecondIsDroppedAtTheHandshakeDeadline() throws Exception {
        Duration deadline = Duration.ofSeconds(2);
        try (LogCapture logs = new LogCapture();
             TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast().withHandshake(deadline, 128));
             Socket s = connect(t)) {
            byte[] hello = FrameCodec.encode(new Hello(FrameCodec.VERSION, "a", "s1", 0, 0, Handshake.nonce()));
            long start = System.nanoTime();
            OutputStream out = s.getOutputStream();
            // Each byte well inside any per-read timeout; the whole Hello would take 40-odd seconds.
            Thread trickle = Thread.ofVirtual().start(() -> {
                try {
                    for (byte b : hello) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(1000);
                    }
                } catch (IOException | InterruptedException stopped) {
                    // dropped, as it should be
                }
            });
            try {
                assertThat(closedByReplica(s)).as("closed by the replica (no Challenge, no waiting for the rest)").isTrue();
                long took = System.nanoTime() - start;
                assertThat(Duration.ofNanos(took)).isBetween(deadline.minusMillis(200), deadline.plusSeconds(5));
            } finally {
                trickle.interrupt();
            }
            String peer = "/127.0.0.1:" + s.getLocalPort();
            assertThat(logs.awaitWarning("no handshake within 2000 ms")).anyMatch(l -> l.contains(peer));
        }
    }

    @Test @Timeout(60)
    void aPeerStallingTheTlsHandshakeIsDroppedAtTheDeadline() throws Exception {
        TestCertificates a = TestCertificates.generate(certificates.resolve("a")), b = TestCertificates.generate(certificates.resolve("b"));
        Duration deadline = Duration.ofSeconds(2);
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast().withHandshake(deadline, 128), false, List.of("a", "b"), Map.of(
                "a", a.trusting(a.certificate(), b.certificate()), "b", b.trusting(a.certificate(), b.certificate())));
             Socket s = connect(t)) {
            long start = System.nanoTime();
            // Connected, and never a ClientHello: the TLS handshake waits for it until the deadline, not a read timeout later.
            assertThat(closedByReplica(s)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(deadline.minusMillis(200), deadline.plusSeconds(5));
            t.awaitConnected("a");
        }
    }

    @Test @Timeout(60)
    void theCapOnConnectionsInTheirHandshakeAdmitsUpToItAndRefusesOneMore() throws Exception {
        int cap = 4;
        try (LogCapture logs = new LogCapture();
             TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast().withHandshake(Duration.ofSeconds(30), cap))) {
            t.awaitConnected("a"); // the master's own connections have proven the secret: they take no place
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < cap - 1; i++) idle.add(connect(t));
                // cap - 1 strangers held: one more is admitted (it gets a Challenge) ...
                byte[] nonce = Handshake.nonce();
                Hello hello = new Hello(FrameCodec.VERSION, "a", "s1", 0, 0, nonce);
                try (FrameConnection last = new FrameConnection(connect(t), FrameCodec.DEFAULT_MAX_FRAME)) {
                    last.send(hello);
                    Challenge ch = (Challenge) last.read();
                    // ... and with cap strangers held, the next is closed at once, without a Challenge.
                    try (Socket over = connect(t)) {
                        over.getOutputStream().write(FrameCodec.encode(hello));
                        assertThat(closedByReplica(over)).isTrue();
                        assertThat(logs.awaitWarning("refused, " + cap + " connections are already in their handshake"))
                                .anyMatch(l -> l.contains("/127.0.0.1:" + over.getLocalPort()));
                    }
                    // A stranger that proves the secret frees its place.
                    last.send(new Auth(Handshake.masterProof(TwoNodes.SECRET, nonce, ch.nonce(), "s1", 0, 0)));
                    assertThat(last.read()).isInstanceOf(Positions.class);
                    assertThat(answer(t, hello)).isInstanceOf(Challenge.class);
                }
            } finally {
                for (Socket s : idle) s.close();
            }
            // The real master still ships.
            t.user("a", "alice").append("INBOX", List.of(ReplicationIT.message("past", "the cap")));
            t.awaitCaughtUp("a", "b", "alice");
        }
    }

    /**
     * A TLS provider that cannot wrap an accepted socket (what {@code SSLSocketFactory.createSocket(Socket,
     * InputStream, boolean)} does unless a provider overrides it: UnsupportedOperationException), so the
     * thread serving every connection fails with a RuntimeException no code expects.
     */
    private static SSLContext brokenTls() {
        SSLSocketFactory sockets = new SSLSocketFactory() {
            @Override public String[] getDefaultCipherSuites() { return new String[0]; }
            @Override public String[] getSupportedCipherSuites() { return new String[0]; }
            @Override public Socket createSocket(Socket s, InputStream consumed, boolean autoClose) { throw new UnsupportedOperationException("no layering"); }
            @Override public Socket createSocket(Socket s, String host, int port, boolean autoClose) { throw new UnsupportedOperationException("no layering"); }
            @Override public Socket createSocket(String host, int port) { throw new UnsupportedOperationException(); }
            @Override public Socket createSocket(String host, int port, InetAddress local, int localPort) { throw new UnsupportedOperationException(); }
            @Override public Socket createSocket(InetAddress host, int port) { throw new UnsupportedOperationException(); }
            @Override public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) { throw new UnsupportedOperationException(); }
        };
        SSLContextSpi spi = new SSLContextSpi() {
            @Override protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {}
            @Override protected SSLSocketFactory engineGetSocketFactory() { return sockets; }
            @Override protected SSLServerSocketFactory engineGetServerSocketFactory() { throw new UnsupportedOperationException(); }
            @Override protected SSLEngine engineCreateSSLEngine() { throw new UnsupportedOperationException(); }
            @Override protected SSLEngine engineCreateSSLEngine(String host, int port) { throw new UnsupportedOperationException(); }
            @Override protected SSLSessionContext engineGetServerSessionContext() { return null; }
            @Override protected SSLSessionContext engineGetClientSessionContext() { return null; }
        };
        return new SSLContext(spi, null, "TLS") {};
    }

    @Test @Timeout(60)
    void aFailureInAConnectionThreadIsLoggedOnceWithThePeerAndAFloodOfThemIsCounted() throws Exception {
        String failure = "UnsupportedOperationException";
        LogCapture logs = new LogCapture();
        try (logs; TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast(), false, List.of("a", "b"), Map.of("b", brokenTls()))) {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                try (Socket s = connect(t)) {
                    ports.add(s.getLocalPort());
                    assertThat(closedByReplica(s)).isTrue();
                }
            }
            // Twenty failures (and the master's retries, every 50 ms here) of one kind: one line, naming a peer.
            List<String> logged = logs.awaitWarning(failure);
            assertThat(logged).singleElement().satisfies(l -> {
                assertThat(l).contains("/127.0.0.1:").contains("no layering").contains("[stack trace of java.lang.UnsupportedOperationException]");
            });
        }
        // When the node stops, the count of the others.
        assertThat(logs.warningsContaining("more like it not logged")).anySatisfy(l -> {
            assertThat(l).contains(failure);
            assertThat(Integer.parseInt(l.replaceAll(".*: (\\d+) more like it not logged.*", "$1"))).isGreaterThanOrEqualTo(19);
        });
    }
}
