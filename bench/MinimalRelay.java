// SPDX-License-Identifier: Apache-2.0
// A baseline for bench/proxy.sh (RELAYS=1), not part of Cairn: the least a relay can do between
// IMAP clients and the node. No greeting, no login, no directory, no routing: each accepted
// connection is connected to the node and its bytes are copied both ways until either side ends.
// Two ways to copy, to tell what the relaying itself costs from what cairn proxy adds:
//   vthread  - one virtual thread a direction, blocking reads and writes (as cairn proxy relays)
//   selector - one platform thread over every connection, non-blocking channels (as nginx, HAProxy)
//
//   java bench/MinimalRelay.java vthread|selector LISTEN_PORT NODE_PORT
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

public class MinimalRelay {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    public static void main(String[] args) throws Exception {
        if (args.length != 3) throw new IllegalArgumentException("usage: vthread|selector LISTEN_PORT NODE_PORT");
        int listen = Integer.parseInt(args[1]), node = Integer.parseInt(args[2]);
        switch (args[0]) {
            case "vthread" -> threads(listen, node);
            case "selector" -> selector(listen, node);
            default -> throw new IllegalArgumentException("no relay " + args[0]);
        }
    }

    // ---- one virtual thread a direction ----

    static void threads(int listen, int node) throws IOException {
        try (ServerSocket server = new ServerSocket(listen, 1000, LOOPBACK)) {
            while (true) {
                Socket client = server.accept();
                Thread.ofVirtual().start(() -> {
                    try (client; Socket backend = new Socket(LOOPBACK, node)) {
                        client.setTcpNoDelay(true);
                        backend.setTcpNoDelay(true);
                        Thread up = Thread.ofVirtual().start(() -> copyThenClose(client, backend));
                        copyThenClose(backend, client);
                        up.join();
                    } catch (IOException | InterruptedException e) {
                        // the connection ends
                    }
                });
            }
        }
    }

    /** As cairn proxy's relay: a 512-octet buffer while the stream is quiet, 64 KiB while reads fill it. */
    static void copyThenClose(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[512];
            int n;
            while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
                out.write(buffer, 0, n);
                if (n == buffer.length && buffer.length < 65536) buffer = new byte[65536];
                else if (n < buffer.length && buffer.length > 512) buffer = new byte[512];
            }
        } catch (IOException e) {
            // either side ended
        } finally {
            close(from);
            close(to);
        }
    }

    // ---- one selector ----

    /** One direction of a connection: reads its source into its buffer and writes it to its sink. */
    static final class Direction {
        final SocketChannel source, sink;
        final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
        SelectionKey sourceKey, sinkKey;
        Direction reverse;

        Direction(SocketChannel source, SocketChannel sink) {
            this.source = source;
            this.sink = sink;
        }
    }

    static void selector(int listen, int node) throws IOException {
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(LOOPBACK, listen), 1000);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        while (true) {
            selector.select();
            for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey key = it.next();
                it.remove();
                if (!key.isValid()) continue;
                if (key.isAcceptable()) {
                    accept(server, selector, node);
                    continue;
                }
                // a channel's key carries the direction that reads from it; its writes are the reverse's
                Direction reads = (Direction) key.attachment();
                try {
                    if (key.isWritable()) drain(reads.reverse);
                    if (key.isValid() && key.isReadable()) pump(reads);
                } catch (IOException e) {
                    close(reads.source);
                    close(reads.sink);
                }
            }
        }
    }

    static void accept(ServerSocketChannel server, Selector selector, int node) throws IOException {
        SocketChannel client = server.accept();
        if (client == null) return;
        SocketChannel backend = SocketChannel.open(new InetSocketAddress(LOOPBACK, node));
        for (SocketChannel c : new SocketChannel[] {client, backend}) {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.configureBlocking(false);
        }
        Direction up = new Direction(client, backend), down = new Direction(backend, client);
        up.reverse = down;
        down.reverse = up;
        up.sourceKey = client.register(selector, SelectionKey.OP_READ, up);
        down.sourceKey = backend.register(selector, SelectionKey.OP_READ, down);
        up.sinkKey = down.sourceKey;
        down.sinkKey = up.sourceKey;
    }

    /** One read, written on at once; what the sink does not take waits, and the source is not read meanwhile. */
    static void pump(Direction d) throws IOException {
        if (d.source.read(d.buffer) < 0) throw new IOException("end of stream");
        d.buffer.flip();
        d.sink.write(d.buffer);
        if (d.buffer.hasRemaining()) {
            d.sourceKey.interestOps(d.sourceKey.interestOps() & ~SelectionKey.OP_READ);
            d.sinkKey.interestOps(d.sinkKey.interestOps() | SelectionKey.OP_WRITE);
        } else {
            d.buffer.clear();
        }
    }

    /** The sink took more: write what waited; once all is out, read the source again. */
    static void drain(Direction d) throws IOException {
        d.sink.write(d.buffer);
        if (d.buffer.hasRemaining()) return;
        d.buffer.clear();
        d.sinkKey.interestOps(d.sinkKey.interestOps() & ~SelectionKey.OP_WRITE);
        d.sourceKey.interestOps(d.sourceKey.interestOps() | SelectionKey.OP_READ);
    }

    static void close(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
