// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import dev.cairn.protocol.tls.TlsSockets;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * One client connection: bounded buffered input ({@link LineInput}), buffered output, the
 * remote address, TLS state, the idle timeout and the login deadline. Used by one session thread
 * at a time.
 *
 * <p>Until the session calls {@link #loggedIn()}, every read waits at most until the login
 * deadline that {@link ConnectionServer} set at accept ({@link ConnectionLimits#loginTimeout()}):
 * a client that trickles one octet at a time is stopped there with a {@link LoginTimeoutException}.
 *
 * <p>The stream layers are replaceable: {@link #startTls} swaps the socket for a TLS socket
 * (and drops anything the client pipelined in plaintext), {@link #installCompression} stacks a
 * compressing layer on top (IMAP COMPRESS=DEFLATE, RFC 4978).
 */
public final class Connection implements Closeable {
    // Upper bounds: both buffers are held only while there is traffic (an idle connection in
    // IMAP IDLE holds a few hundred octets), see LineInput and ReleasingOutputStream.
    private static final int INPUT_BUFFER = 16 * 1024;
    private static final int OUTPUT_BUFFER = 16 * 1024;
    private static final AtomicLong IDS = new AtomicLong();

    private final String id = Long.toString(IDS.incrementAndGet(), 36);
    private Socket socket; // null for a unix-domain connection
    private final SocketChannel unixChannel; // null for TCP
    private final TimedChannelInputStream unixInput;
    private final SocketAddress remoteAddress;
    private final LineInput input;
    private OutputStream rawOutput;
    private OutputStream output;
    private boolean secure;
    private boolean compressed;
    private long idleTimeoutMillis;
    /** The timeout set on the socket now, so that a read sets it only when it changes. */
    private long appliedTimeoutMillis = -1;
    /** System.nanoTime() by which the client must have logged in; 0 when there is no such deadline (any more). */
    private volatile long loginDeadlineNanos;
    private Runnable onLogin;
    private boolean loggedIn;
    /** System.nanoTime() when a write to the peer began and has not returned yet; 0 when none. */
    private volatile long writeStartedNanos;

    private Connection(Socket socket, SocketChannel unixChannel, boolean secure) throws IOException {
        this.socket = socket;
        this.unixChannel = unixChannel;
        this.secure = secure;
        if (socket != null) {
            this.unixInput = null;
            this.remoteAddress = socket.getRemoteSocketAddress();
            this.input = new LineInput(new PeerInput(socket.getInputStream()), INPUT_BUFFER);
            this.rawOutput = new PeerOutput(socket.getOutputStream());
        } else {
            this.unixInput = new TimedChannelInputStream(unixChannel);
            this.remoteAddress = unixChannel.getRemoteAddress();
            this.input = new LineInput(new PeerInput(unixInput), INPUT_BUFFER);
            this.rawOutput = new PeerOutput(Channels.newOutputStream(unixChannel));
        }
        this.output = new ReleasingOutputStream(rawOutput, OUTPUT_BUFFER);
    }

    /** A TCP connection; {@code secure} when the socket is already TLS (implicit TLS port). */
    public static Connection of(Socket socket, boolean secure) throws IOException {
        return new Connection(Objects.requireNonNull(socket), null, secure);
    }

    /** A unix-domain connection (blocking channel). Local peers count as loopback. */
    public static Connection ofUnix(SocketChannel channel) throws IOException {
        channel.configureBlocking(true);
        return new Connection(null, channel, false);
    }

    /** Short id for log lines. */
    public String id() { return id; }

    public SocketAddress remoteAddress() { return remoteAddress; }

    /** The client's IP address; the loopback address for a unix-domain connection. */
    public InetAddress remoteInetAddress() {
        return remoteAddress instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress() : InetAddress.getLoopbackAddress();
    }

    /** A unix-domain connection (a local process; it has no address of its own). */
    public boolean isUnixDomain() { return unixChannel != null; }

    /** True for loopback TCP peers and unix-domain peers (policies such as plaintext login use it). */
    public boolean isLoopback() { return socket == null || remoteInetAddress().isLoopbackAddress(); }

    public boolean isSecure() { return secure; }

    /** Whether {@link #startTls} can work here (not on a unix-domain socket, not twice). */
    public boolean canStartTls() { return socket != null && !secure; }

    public boolean isCompressed() { return compressed; }

    public SSLSession tlsSession() { return socket instanceof SSLSocket ssl ? ssl.getSession() : null; }

    /** The longest the client may stay silent while the session waits for input; zero means forever. */
    public void setIdleTimeout(Duration timeout) throws IOException {
        idleTimeoutMillis = Math.min(Integer.MAX_VALUE, timeout.toMillis());
        applyTimeout(idleTimeoutMillis);
    }

    private void applyTimeout(long millis) throws IOException {
        if (millis == appliedTimeoutMillis) return;
        if (socket != null) socket.setSoTimeout((int) millis);
        else unixInput.setTimeoutMillis(millis);
        appliedTimeoutMillis = millis;
    }

    // ---- login ----

    /** Starts the login deadline (by {@link ConnectionServer} at accept); {@code onLogin} runs at {@link #loggedIn()}. */
    void startLoginDeadline(Duration timeout, Runnable onLogin) {
        this.onLogin = onLogin;
        if (!timeout.isZero()) loginDeadlineNanos = System.nanoTime() + timeout.toNanos() | 1; // never 0
    }

    /**
     * The client has logged in: the login deadline no longer applies, and the connection stops
     * counting against its address's pre-login limit. Idempotent.
     */
    public void loggedIn() throws IOException {
        loginDeadlineNanos = 0;
        loggedIn = true;
        Runnable r = onLogin;
        onLogin = null;
        if (r != null) r.run();
        applyTimeout(idleTimeoutMillis);
    }

    /** Whether {@link #loggedIn()} was called. */
    boolean isLoggedIn() { return loggedIn; }

    /** Whether the login deadline passed more than {@code graceNanos} ago (the watchdog drops such connections). */
    boolean loginOverdue(long nowNanos, long graceNanos) {
        long deadline = loginDeadlineNanos;
        return deadline != 0 && nowNanos - deadline > graceNanos;
    }

    /** Milliseconds left before the login deadline, or -1 without one; throws once it has passed. */
    private long loginMillisLeft() throws LoginTimeoutException {
        long deadline = loginDeadlineNanos;
        if (deadline == 0) return -1;
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) throw new LoginTimeoutException();
        return left;
    }

    // ---- input ----

    /** The bounded reader; see {@link LineInput} for line-end and NUL rules. */
    public LineInput input() { return input; }

    /** Shorthand for {@link LineInput#readCommandLine(int)}. */
    public byte[] readCommandLine(int maxLength) throws IOException { return input.readCommandLine(maxLength); }

    // ---- output ----

    /** The buffered output; bytes go out at {@link #flush()}. */
    public OutputStream output() { return output; }

    public void write(byte[] bytes) throws IOException { output.write(bytes); }

    /** Writes text as UTF-8 (protocol replies are ASCII). */
    public void write(String text) throws IOException { output.write(text.getBytes(StandardCharsets.UTF_8)); }

    /** Writes text followed by CRLF. */
    public void writeLine(String text) throws IOException {
        write(text);
        output.write('\r');
        output.write('\n');
    }

    public void flush() throws IOException { output.flush(); }

    // ---- a relay's streams ----

    /**
     * The peer's stream under the line buffer, for a relay that copies octets with no parsing
     * (a front-end after its login, issue 21): one copy less per read and reads as large as the
     * relay asks. Only once the buffered octets were taken ({@link LineInput#takeBuffered}); the
     * timeouts still apply.
     */
    public InputStream relayInput() {
        if (input.buffered() != 0) throw new IllegalStateException("take the buffered input before relaying");
        return input.source();
    }

    /**
     * The stream to the peer under the reply buffer, for a relay: each write goes out as it is
     * (the relay writes what it read, whole), with no buffer allocated and copied per write.
     * Flushes what is buffered first.
     */
    public OutputStream relayOutput() throws IOException {
        output.flush();
        return rawOutput;
    }

    // ---- stream layering ----

    /**
     * Upgrades to TLS in place (STARTTLS, STLS; RFC 3207, RFC 2595, RFC 9051 §6.2.1). Call it
     * right after reading the STARTTLS command line, with the protocol's go-ahead reply: the
     * octets already buffered behind that command were sent before the client could have seen
     * the go-ahead, so they are dropped unread (the CVE-2011-0411 command-injection class);
     * then the reply is sent and the handshake runs. After it every octet read comes from TLS.
     *
     * @param readyReply the go-ahead, complete with CRLF (e.g. {@code "+OK Begin TLS\r\n"})
     * @param handshakeTimeout how long the client gets to finish the handshake
     */
    public TlsUpgrade startTls(SSLContext context, byte[] readyReply, Duration handshakeTimeout) throws IOException {
        if (!canStartTls()) throw new IllegalStateException(secure ? "TLS is already active" : "no TLS on this transport");
        int discarded = input.takeBuffered().length;
        output.write(readyReply);
        output.flush();
        // No octets consumed from the socket belong to the handshake: pass none on.
        SSLSocket ssl = TlsSockets.server(context, socket);
        socket = ssl;
        appliedTimeoutMillis = -1; // set it on the new socket
        input.replaceSource(new PeerInput(ssl.getInputStream()));
        rawOutput = new PeerOutput(ssl.getOutputStream());
        output = new ReleasingOutputStream(rawOutput, OUTPUT_BUFFER);
        secure = true;
        handshake(ssl, handshakeTimeout);
        return new TlsUpgrade(discarded);
    }

    /** Runs the server handshake of an implicit-TLS connection (done by {@link ConnectionServer}). */
    void handshake(SSLSocket ssl, Duration timeout) throws IOException {
        long millis = Math.min(Integer.MAX_VALUE, timeout.toMillis());
        long loginLeft = loginMillisLeft();
        applyTimeout(loginLeft >= 0 ? Math.min(millis, loginLeft) : millis);
        ssl.startHandshake();
        applyTimeout(idleTimeoutMillis);
    }

    /**
     * Stacks a layer on both directions from now on, e.g. DEFLATE for IMAP COMPRESS (RFC 4978):
     * send the OK first, then call this. Octets already buffered were sent by the client after
     * the command, so they belong to the new layer and are fed to it first.
     */
    public void installCompression(UnaryOperator<InputStream> inputLayer, UnaryOperator<OutputStream> outputLayer) throws IOException {
        if (compressed) throw new IllegalStateException("compression is already active");
        output.flush();
        byte[] pending = input.takeBuffered();
        InputStream below = input.source();
        if (pending.length > 0) below = new SequenceInputStream(new ByteArrayInputStream(pending), below);
        input.replaceSource(inputLayer.apply(below));
        input.stopSkippingOverlongLines();
        rawOutput = outputLayer.apply(rawOutput);
        output = new ReleasingOutputStream(rawOutput, OUTPUT_BUFFER);
        compressed = true;
    }

    /**
     * How long the current write to the peer has been blocked, in nanoseconds; 0 when no write
     * is under way. A client that stops reading (a "slow read" attack on a large RETR or FETCH)
     * blocks the write forever, since sockets have no write timeout: {@link ConnectionServer}
     * aborts such connections.
     */
    long writeBlockedNanos(long nowNanos) {
        long started = writeStartedNanos;
        return started == 0 ? 0 : nowNanos - started;
    }

    /** Closes the socket at once without flushing (the peer may not be reading); never throws. */
    void abort() {
        try {
            if (socket != null) socket.close();
            else unixChannel.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    /**
     * The stream from the peer. Before login each read waits at most until the login deadline, so
     * that neither silence nor a trickle of octets keeps a connection past it.
     */
    private final class PeerInput extends InputStream {
        private final InputStream peer;

        PeerInput(InputStream peer) { this.peer = peer; }

        @Override public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            long loginLeft = loginMillisLeft();
            if (loginLeft < 0) return peer.read(b, off, len);
            boolean deadlineFirst = idleTimeoutMillis == 0 || loginLeft < idleTimeoutMillis;
            applyTimeout(deadlineFirst ? loginLeft : idleTimeoutMillis);
            try {
                return peer.read(b, off, len);
            } catch (SocketTimeoutException e) {
                if (deadlineFirst) throw new LoginTimeoutException();
                throw e;
            }
        }

        @Override public int available() throws IOException { return peer.available(); }

        @Override public void close() throws IOException { peer.close(); }
    }

    /** The stream to the peer, timing every write so a stalled one can be found. */
    private final class PeerOutput extends OutputStream {
        private final OutputStream peer;

        PeerOutput(OutputStream peer) { this.peer = peer; }

        @Override public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            writeStartedNanos = System.nanoTime() | 1; // never 0 while writing
            try {
                peer.write(b, off, len);
            } finally {
                writeStartedNanos = 0;
            }
        }

        @Override public void flush() throws IOException {
            writeStartedNanos = System.nanoTime() | 1;
            try {
                peer.flush();
            } finally {
                writeStartedNanos = 0;
            }
        }

        @Override public void close() throws IOException { peer.close(); }
    }

    /** Flushes what it can and closes the connection; never throws. */
    @Override public void close() {
        try {
            output.flush();
        } catch (IOException ignored) {
            // the peer is gone: nothing to flush to
        }
        try {
            if (socket != null) socket.close();
            else unixChannel.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    Socket socket() { return socket; }

    public boolean isClosed() { return socket != null ? socket.isClosed() : !unixChannel.isOpen(); }

    @Override public String toString() { return "connection " + id + " from " + remoteAddress; }
}
