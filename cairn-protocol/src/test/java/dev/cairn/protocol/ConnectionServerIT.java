// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsContexts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The connection layer over real sockets, with a minimal line protocol written for the test. */
class ConnectionServerIT {
    @TempDir static Path certDir;
    static SSLContext serverTls;
    static SSLContext clientTls;

    final List<String> executed = new CopyOnWriteArrayList<>();
    final List<Integer> discarded = new CopyOnWriteArrayList<>();
    final java.util.concurrent.CountDownLatch floodEnded = new java.util.concurrent.CountDownLatch(1);
    ConnectionServer server;

    @BeforeAll
    static void tls() throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(certDir);
        serverTls = cert.serverContext();
        clientTls = TlsContexts.clientTrusting(List.of(cert.certificate()));
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    /** "* READY"; NOOP, STARTTLS, COMPRESS, SLEEP, QUIT; every command is recorded when executed. */
    void session(Connection c) throws IOException {
        c.setIdleTimeout(Duration.ofSeconds(10));
        c.writeLine("* READY " + (c.isSecure() ? "tls" : "plain"));
        c.flush();
        while (true) {
            String line;
            try {
                line = new String(c.readCommandLine(100), StandardCharsets.US_ASCII);
            } catch (LineTooLongException e) {
                c.writeLine("BAD line too long");
                c.flush();
                continue;
            } catch (IdleTimeoutException e) {
                c.writeLine("BYE idle");
                c.flush();
                return;
            }
            executed.add(line);
            switch (line) {
                case "STARTTLS" -> {
                    if (!c.canStartTls()) {
                        c.writeLine("NO already secure");
                        c.flush();
                    } else {
                        discarded.add(c.startTls(serverTls, "OK begin TLS\r\n".getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(10)).discardedPlaintextOctets());
                    }
                }
                case "COMPRESS" -> {
                    c.writeLine("OK deflate");
                    c.flush();
                    c.installCompression(in -> new InflaterInputStream(in, new Inflater(true)),
                            out -> new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, true), true));
                }
                case "FLOOD" -> {
                    // Writes until the write fails: the client never reads.
                    byte[] chunk = new byte[64 * 1024];
                    try {
                        while (true) {
                            c.write(chunk);
                            c.flush();
                        }
                    } finally {
                        floodEnded.countDown();
                    }
                }
                case "SHORT_IDLE" -> {
                    c.setIdleTimeout(Duration.ofMillis(200));
                    c.writeLine("OK");
                    c.flush();
                }
                case "QUIT" -> {
                    c.writeLine("BYE");
                    c.flush();
                    return;
                }
                default -> {
                    c.writeLine("OK " + line + " " + executed.size());
                    c.flush();
                }
            }
        }
    }

    ConnectionServer start(int max, SSLContext implicitTls) throws IOException {
        server = new ConnectionServer(new ConnectionServer.Config("test", new InetSocketAddress("127.0.0.1", 0), max,
                implicitTls, Duration.ofSeconds(5)), this::session, c -> {
                    c.writeLine("* BYE too many connections");
                    c.flush();
                });
        server.start();
        return server;
    }

    static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    }

    static void send(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    SSLSocket handshake(Socket plain) throws IOException {
        SSLSocket ssl = (SSLSocket) clientTls.getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
        ssl.startHandshake();
        return ssl;
    }

    @Test
    void commandsPipelinedBehindStartTlsAreNeverExecuted() throws Exception {
        start(10, null);
        try (Socket s = new Socket("127.0.0.1", server.boundInetAddress().getPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = reader(s);
            assertThat(in.readLine()).isEqualTo("* READY plain");
            // One write: the injected NOOP arrives in the same segment as STARTTLS.
            send(s, "STARTTLS\r\nNOOP\r\n");
            assertThat(in.readLine()).isEqualTo("OK begin TLS");
            try (SSLSocket ssl = handshake(s)) {
                BufferedReader tin = reader(ssl);
                send(ssl, "HELLO\r\n");
                assertThat(tin.readLine()).isEqualTo("OK HELLO 2");
                send(ssl, "STARTTLS\r\n");
                assertThat(tin.readLine()).isEqualTo("NO already secure");
            }
        }
        assertThat(executed).containsExactly("STARTTLS", "HELLO", "STARTTLS").doesNotContain("NOOP");
        assertThat(discarded).containsExactly("NOOP\r\n".length());
    }

    @Test
    void implicitTlsFromTheFirstOctet() throws Exception {
        start(10, serverTls);
        try (SSLSocket s = (SSLSocket) clientTls.getSocketFactory().createSocket("127.0.0.1", server.boundInetAddress().getPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = reader(s);
            assertThat(in.readLine()).isEqualTo("* READY tls");
            assertThat(s.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            send(s, "STARTTLS\r\n");
            assertThat(in.readLine()).isEqualTo("NO already secure");
        }
    }

    @Test
    void tlsOlderThan12IsRefused() throws Exception {
        start(10, serverTls);
        try (SSLSocket s = (SSLSocket) clientTls.getSocketFactory().createSocket("127.0.0.1", server.boundInetAddress().getPort())) {
            s.setSoTimeout(10_000);
            s.setEnabledProtocols(new String[] {"TLSv1.1"});
            org.assertj.core.api.Assertions.assertThatThrownBy(s::startHandshake).isInstanceOf(IOException.class);
        }
    }

    @Test
    void overTheConnectionLimitTheRejectGreetingIsSentAndTheConnectionClosed() throws Exception {
        start(2, null);
        int port = server.boundInetAddress().getPort();
        try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port)) {
            assertThat(reader(a).readLine()).isEqualTo("* READY plain");
            assertThat(reader(b).readLine()).isEqualTo("* READY plain");
            try (Socket c = new Socket("127.0.0.1", port)) {
                c.setSoTimeout(10_000);
                BufferedReader in = reader(c);
                assertThat(in.readLine()).isEqualTo("* BYE too many connections");
                assertThat(in.readLine()).isNull();
            }
            assertThat(server.activeConnections()).isEqualTo(2);
        }
    }

    @Test
    void tooLongLineGetsAnErrorAndTheSessionGoesOn() throws Exception {
        start(10, null);
        try (Socket s = new Socket("127.0.0.1", server.boundInetAddress().getPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = reader(s);
            in.readLine();
            send(s, "x".repeat(100) + "\r\n" + "y".repeat(101) + "\r\nNEXT\r\n");
            assertThat(in.readLine()).startsWith("OK xxx");
            assertThat(in.readLine()).isEqualTo("BAD line too long");
            assertThat(in.readLine()).isEqualTo("OK NEXT 2");
        }
    }

    @Test
    void idleTimeoutLetsTheProtocolSayGoodbye() throws Exception {
        start(10, null);
        try (Socket s = new Socket("127.0.0.1", server.boundInetAddress().getPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = reader(s);
            in.readLine();
            send(s, "SHORT_IDLE\r\n");
            assertThat(in.readLine()).isEqualTo("OK");
            assertThat(in.readLine()).isEqualTo("BYE idle");
            assertThat(in.readLine()).isNull();
        }
    }

    @Test
    void aClientThatStopsReadingIsDroppedAfterTheWriteTimeout() throws Exception {
        server = new ConnectionServer(ConnectionServer.Config.plain("test", new InetSocketAddress("127.0.0.1", 0), 10),
                this::session, c -> { });
        server.setWriteTimeout(Duration.ofMillis(300));
        server.start();
        try (Socket s = new Socket("127.0.0.1", server.boundInetAddress().getPort())) {
            s.setReceiveBufferSize(4096);
            reader(s).readLine();
            send(s, "FLOOD\r\n");
            // Never read: the server's write blocks once the socket buffers are full.
            assertThat(floodEnded.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            eventually(Duration.ofSeconds(10), () -> assertThat(server.activeConnections()).isZero());
        }
    }

    @Test
    void closeEndsLiveSessions() throws Exception {
        start(10, null);
        try (Socket s = new Socket("127.0.0.1", server.boundInetAddress().getPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = reader(s);
            in.readLine();
            server.close();
            assertThat(in.readLine()).isNull();
        }
    }

    @Test
    void compressionLayerKeepsPipelinedBytes() throws Exception {
        start(10, null);
        try (Socket s = new Socket("127.0.0.1", server.boundInetAddress().getPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = reader(s);
            in.readLine();
            // A client that pipelines its first compressed command behind COMPRESS: those octets belong to the new layer.
            java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
            DeflaterOutputStream z = new DeflaterOutputStream(compressed, new Deflater(Deflater.DEFAULT_COMPRESSION, true), true);
            z.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            z.flush();
            byte[] head = "COMPRESS\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[head.length + compressed.size()];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(compressed.toByteArray(), 0, all, head.length, compressed.size());
            s.getOutputStream().write(all);
            s.getOutputStream().flush();
            // "OK deflate" is plain; what follows is deflated.
            byte[] ok = s.getInputStream().readNBytes("OK deflate\r\n".length());
            assertThat(new String(ok, StandardCharsets.US_ASCII)).isEqualTo("OK deflate\r\n");
            // Byte by byte: InputStreamReader would wait for more because InflaterInputStream.available() is 1.
            InflaterInputStream zin = new InflaterInputStream(s.getInputStream(), new Inflater(true));
            StringBuilder reply = new StringBuilder();
            for (int b; (b = zin.read()) != '\n' && b >= 0; ) reply.append((char) b);
            assertThat(reply.toString()).isEqualTo("OK PING 2\r");
        }
    }

    @Test
    void unixDomainSocket(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("lmtp.sock");
        server = new ConnectionServer(ConnectionServer.Config.plain("unix", UnixDomainSocketAddress.of(path), 10),
                this::session, c -> c.writeLine("BYE"));
        server.start();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            BufferedReader in = new BufferedReader(new InputStreamReader(java.nio.channels.Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("* READY plain");
            ch.write(ByteBuffer.wrap("HI\r\nSTARTTLS\r\nSHORT_IDLE\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(in.readLine()).isEqualTo("OK HI 1");
            assertThat(in.readLine()).isEqualTo("NO already secure"); // no TLS over a unix socket
            assertThat(in.readLine()).isEqualTo("OK");
            assertThat(in.readLine()).isEqualTo("BYE idle");
        }
    }
}
