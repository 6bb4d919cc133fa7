// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.protocol.tls.TlsSockets;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** One replication connection: frames out (one writer at a time), frames in (one reader). */
final class FrameConnection implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final FrameCodec.Decoder decoder;
    private final Deque<Frame> ready = new ArrayDeque<>();
    private static final int READ_BUFFER = 64 * 1024;
    private byte[] buffer;
    private final ReentrantLock writeLock = new ReentrantLock();

    /** @param maxFrame the frame limit to start with ({@link FrameCodec#HANDSHAKE_MAX_FRAME} until the peer proved the secret) */
    FrameConnection(Socket socket, int maxFrame) throws IOException {
        this.socket = socket;
        socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.decoder = new FrameCodec.Decoder(maxFrame);
        this.buffer = new byte[readBuffer(maxFrame)];
    }

    /** Raises (or lowers) the frame limit, for frames not begun yet: after the handshake, the configured one. */
    void limit(int maxFrame) {
        decoder.limit(maxFrame);
        if (readBuffer(maxFrame) > buffer.length) buffer = new byte[readBuffer(maxFrame)];
    }

    /** Reads of up to 64 KiB, less while frames are small (before the handshake). */
    private static int readBuffer(int maxFrame) { return (int) Math.min(READ_BUFFER, maxFrame + 4L); }

    /** The master's side: connects and, with TLS, completes the handshake (the replica's certificate must be trusted). */
    static Socket connect(InetSocketAddress address, SSLContext tls, int timeoutMillis) throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(address, timeoutMillis);
            if (tls == null) return plain;
            plain.setSoTimeout(timeoutMillis);
            return TlsSockets.client(tls, plain, address.getHostString(), address.getPort(), TlsSockets.HostCheck.TRUST_ONLY,
                    TlsSockets.TLS_1_3);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /**
     * The replica's side of an accepted connection: with TLS, the handshake, which requires the
     * master's certificate and refuses a peer that speaks anything but TLS (a plaintext Hello).
     */
    static Socket accepted(Socket plain, SSLContext tls, int timeoutMillis) throws IOException {
        if (tls == null) return plain;
        try {
            plain.setSoTimeout(timeoutMillis);
            SSLSocket s = TlsSockets.server(tls, plain, TlsSockets.TLS_1_3, true);
            s.startHandshake();
            return s;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    void send(Frame frame) throws IOException {
        byte[] bytes = FrameCodec.encode(frame);
        writeLock.lock();
        try {
            out.write(bytes);
            out.flush();
        } finally {
            writeLock.unlock();
        }
    }

    /** The next frame; EOFException when the peer closed between frames. */
    Frame read() throws IOException, FrameCodec.BadFrame {
        while (ready.isEmpty()) {
            int n = in.read(buffer);
            if (n < 0) throw new EOFException(decoder.idle() ? "connection closed" : "connection closed inside a frame");
            ready.addAll(decoder.feed(buffer, 0, n));
        }
        return ready.poll();
    }

    void setTimeout(int millis) throws IOException { socket.setSoTimeout(millis); }

    String peer() { return String.valueOf(socket.getRemoteSocketAddress()); }

    @Override public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
