// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Blocking input from a unix-domain {@link SocketChannel} with a read timeout, which channels
 * lack (SO_TIMEOUT exists only on the {@link java.net.Socket} API). When a read waits too long
 * the input side is shut down: the read sees end of input and reports a timeout, and the output
 * side still works so the protocol can say goodbye.
 */
final class TimedChannelInputStream extends InputStream {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cairn-channel-timeouts");
        t.setDaemon(true);
        return t;
    });

    private final SocketChannel channel;
    private volatile long timeoutMillis;
    private volatile boolean timedOut;

    TimedChannelInputStream(SocketChannel channel) { this.channel = channel; }

    void setTimeoutMillis(long millis) { this.timeoutMillis = millis; }

    @Override public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (timedOut) throw new SocketTimeoutException("read timed out");
        long millis = timeoutMillis;
        ScheduledFuture<?> alarm = millis > 0 ? TIMER.schedule(this::expire, millis, TimeUnit.MILLISECONDS) : null;
        try {
            int n = channel.read(ByteBuffer.wrap(b, off, len));
            if (n < 0 && timedOut) throw new SocketTimeoutException("read timed out");
            return n;
        } finally {
            if (alarm != null) alarm.cancel(false);
        }
    }

    private void expire() {
        timedOut = true;
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // already closed: the read fails anyway
        }
    }

    @Override public void close() throws IOException { channel.close(); }
}
