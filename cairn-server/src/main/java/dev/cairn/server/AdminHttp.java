// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The admin endpoint's HTTP/1.1 server (RFC 9112), small on purpose: one request per connection,
 * no request bodies. One platform thread of its own accepts connections, reads request heads and
 * writes answers without blocking, so a slow or idle client costs a buffer, never a thread; a
 * complete request goes to a pool of {@link #THREADS} platform threads (never the virtual-thread
 * carriers the protocols use), with at most {@link #QUEUED} waiting. Budgets, checked before they
 * are spent: a head of at most {@link #HEAD_LIMIT} octets, arriving within
 * {@link #HEAD_SECONDS} s; an answer taken by the client within {@link #ANSWER_SECONDS} s; at most
 * {@link #MAX_CONNECTIONS} connections, a new one pushing out the oldest that is not being
 * answered. Handlers are the JDK's {@link HttpHandler}s, given an exchange whose answer is buffered.
 */
final class AdminHttp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);
    static final int THREADS = 4;
    static final int QUEUED = 64;
    static final int HEAD_LIMIT = 16 * 1024;
    static final int HEAD_SECONDS = 10;
    static final int ANSWER_SECONDS = 30;
    static final int DRAIN_SECONDS = 2;
    static final int MAX_CONNECTIONS = 256;

    private enum State { HEAD, HANDLING, ANSWER, DRAIN }

    /** One connection; touched by the dispatcher only, except the answer a pool thread hands over. */
    private final class Conn {
        final SocketChannel channel;
        final SelectionKey key;
        ByteBuffer in = ByteBuffer.allocate(1024);
        /** How far the head was searched for its end: each octet is looked at once, however it trickles in. */
        int scanned;
        ByteBuffer out;
        State state = State.HEAD;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HEAD_SECONDS);

        Conn(SocketChannel channel) throws IOException {
            this.channel = channel;
            this.key = channel.register(selector, SelectionKey.OP_READ, this);
        }
    }

    private final ServerSocketChannel server;
    private final Selector selector;
    private final ThreadPoolExecutor pool;
    private final Map<String, HttpHandler> contexts = new ConcurrentHashMap<>();
    /** Open connections, oldest first. */
    private final Set<Conn> open = new LinkedHashSet<>();
    private final Queue<Conn> answered = new ConcurrentLinkedQueue<>();
    private final Thread dispatcher;
    private volatile boolean closed;

    AdminHttp(InetSocketAddress address) throws IOException {
        server = ServerSocketChannel.open();
        try {
            server.bind(address, 64);
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUED),
                Thread.ofPlatform().name("cairn-admin-", 1).daemon(true).factory());
        dispatcher = Thread.ofPlatform().name("cairn-admin-http").daemon(true).unstarted(this::dispatch);
    }

    void start() { dispatcher.start(); }

    InetSocketAddress address() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Serves every path that starts with {@code prefix} (the longest registered prefix wins). */
    void context(String prefix, HttpHandler handler) { contexts.put(prefix, handler); }

    private void dispatch() {
        while (!closed) {
            try {
                selector.select(250);
                for (Conn c; (c = answered.poll()) != null; ) answer(c);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) continue;
                    if (key.isAcceptable()) accept();
                    else if (key.isReadable()) read((Conn) key.attachment());
                    else if (key.isWritable()) write((Conn) key.attachment());
                }
                selector.selectedKeys().clear();
                long now = System.nanoTime();
                for (Conn c : List.copyOf(open)) if (c.state != State.HANDLING && now - c.deadline > 0) close(c);
            } catch (IOException | RuntimeException e) {
                // One connection's trouble (or the selector's) must not end the endpoint.
                log.warn("admin: {}", e.toString());
            }
        }
        for (Conn c : List.copyOf(open)) close(c);
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            if (open.size() >= MAX_CONNECTIONS) {
                Conn oldest = open.stream().filter(c -> c.state != State.HANDLING).findFirst().orElse(null);
                if (oldest == null) {
                    channel.close(); // every one is being answered: no room
                    continue;
                }
                close(oldest);
            }
            channel.configureBlocking(false);
            open.add(new Conn(channel));
        }
    }

    private void read(Conn c) {
        try {
            if (c.state == State.DRAIN) {
                c.in.clear();
                if (c.channel.read(c.in) < 0) close(c);
                return;
            }
            if (!c.in.hasRemaining()) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.min(HEAD_LIMIT, c.in.capacity() * 4));
                c.in.flip();
                c.in = bigger.put(c.in);
            }
            if (c.channel.read(c.in) < 0) {
                close(c);
                return;
            }
            int end = headEnd(c);
            if (end < 0) {
                if (c.in.position() >= HEAD_LIMIT) reply(c, Response.of(431, "request head over " + HEAD_LIMIT + " octets\n"));
                return;
            }
            Object request = Request.parse(new String(c.in.array(), 0, end, StandardCharsets.ISO_8859_1));
            if (request instanceof Response refusal) {
                reply(c, refusal);
                return;
            }
            Request r = (Request) request;
            HttpHandler handler = handler(r.uri().getPath());
            if (handler == null) {
                reply(c, Response.of(404, "not found\n"));
                return;
            }
            c.state = State.HANDLING;
            c.key.interestOps(0);
            try {
                pool.execute(() -> handle(c, r, handler));
            } catch (RejectedExecutionException busy) {
                reply(c, Response.of(503, "busy, try again\n"));
            }
        } catch (IOException e) {
            close(c);
        }
    }

    /** Where the head ends (after its empty line), or -1. */
    private static int headEnd(Conn c) {
        byte[] a = c.in.array();
        for (int i = Math.max(3, c.scanned); i < c.in.position(); i++) {
            if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') return i + 1;
        }
        c.scanned = c.in.position();
        return -1;
    }

    private HttpHandler handler(String path) {
        String best = null;
        for (String prefix : contexts.keySet()) {
            if (path.startsWith(prefix) && (best == null || prefix.length() > best.length())) best = prefix;
        }
        return best == null ? null : contexts.get(best);
    }

    /** On a pool thread. */
    private void handle(Conn c, Request r, HttpHandler handler) {
        Exchange exchange = new Exchange(r, c);
        try {
            handler.handle(exchange);
        } catch (IOException | RuntimeException e) {
            log.warn("admin: {} {} failed", r.method(), r.uri().getPath(), e);
        } finally {
            exchange.close();
        }
    }

    /** From any thread: the answer goes out on the dispatcher. */
    private void reply(Conn c, Response response) {
        c.out = ByteBuffer.wrap(response.bytes());
        if (Thread.currentThread() == dispatcher) answer(c);
        else {
            answered.add(c);
            selector.wakeup();
        }
    }

    private void answer(Conn c) {
        if (!c.channel.isOpen()) return;
        c.state = State.ANSWER;
        c.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ANSWER_SECONDS);
        c.key.interestOps(SelectionKey.OP_WRITE);
        write(c);
    }

    private void write(Conn c) {
        try {
            c.channel.write(c.out);
            if (c.out.hasRemaining()) return;
            // A lingering close (RFC 9112 §9.6): what the client still sends is read and dropped
            // until it closes, as closing with unread input would reset the connection and could
            // take the answer with it.
            c.channel.shutdownOutput();
            c.state = State.DRAIN;
            c.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
            c.key.interestOps(SelectionKey.OP_READ);
        } catch (IOException e) {
            close(c);
        }
    }

    private void close(Conn c) {
        open.remove(c);
        c.key.cancel();
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closed anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            dispatcher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.shutdownNow();
        try {
            selector.close();
            server.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /** A parsed request head (RFC 9112 §2-§5). */
    private record Request(String method, URI uri, String protocol, Headers headers) {
        /** The request, or the refusal to answer it with. */
        static Object parse(String head) {
            String[] lines = head.split("\r\n");
            String[] start = lines[0].split(" ", -1);
            if (start.length != 3 || start[0].isEmpty() || !start[1].startsWith("/")) return Response.of(400, "bad request line\n");
            if (!start[2].equals("HTTP/1.1") && !start[2].equals("HTTP/1.0")) return Response.of(505, "HTTP/1.1 only\n");
            URI uri;
            try {
                uri = new URI(start[1]);
            } catch (URISyntaxException e) {
                return Response.of(400, "bad request target\n");
            }
            Headers headers = new Headers();
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                if (line.isEmpty()) continue;
                int colon = line.indexOf(':');
                // A field line starting with white space is obsolete line folding (§5.2): refused.
                if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t' || line.substring(0, colon).contains(" ")) {
                    return Response.of(400, "bad header field\n");
                }
                headers.add(line.substring(0, colon), line.substring(colon + 1).strip());
            }
            // The admin commands take their arguments in the query: no request carries a body.
            String length = headers.getFirst("Content-Length");
            if (headers.containsKey("Transfer-Encoding") || (length != null && !length.strip().equals("0"))) {
                return Response.of(413, "the admin endpoint takes no request bodies\n");
            }
            return new Request(start[0], uri, start[2], headers);
        }
    }

    /** A whole answer, head and body, as it goes on the wire. */
    private record Response(byte[] bytes) {
        static Response of(int status, String body) {
            Headers h = new Headers();
            h.set("Content-Type", "text/plain; charset=utf-8");
            return of(status, h, body.getBytes(StandardCharsets.UTF_8));
        }

        static Response of(int status, Headers headers, byte[] body) {
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
            head.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase("Content-Length") || e.getKey().equalsIgnoreCase("Connection")) continue;
                for (String v : e.getValue()) head.append(e.getKey()).append(": ").append(v).append("\r\n");
            }
            head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
            byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[h.length + body.length];
            System.arraycopy(h, 0, all, 0, h.length);
            System.arraycopy(body, 0, all, h.length, body.length);
            return new Response(all);
        }

        private static String reason(int status) {
            return switch (status) {
                case 200 -> "OK";
                case 400 -> "Bad Request";
                case 401 -> "Unauthorized";
                case 404 -> "Not Found";
                case 405 -> "Method Not Allowed";
                case 409 -> "Conflict";
                case 413 -> "Content Too Large";
                case 431 -> "Request Header Fields Too Large";
                case 500 -> "Internal Server Error";
                case 503 -> "Service Unavailable";
                case 505 -> "HTTP Version Not Supported";
                default -> "";
            };
        }
    }

    /** The JDK's exchange over a parsed request; the answer is buffered and sent on close. */
    private final class Exchange extends HttpExchange {
        private final Request request;
        private final Conn conn;
        private final Headers responseHeaders = new Headers();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final Map<String, Object> attributes = new ConcurrentHashMap<>();
        private int status;
        private boolean closed;

        Exchange(Request request, Conn conn) {
            this.request = request;
            this.conn = conn;
        }

        @Override public Headers getRequestHeaders() { return request.headers(); }
        @Override public Headers getResponseHeaders() { return responseHeaders; }
        @Override public URI getRequestURI() { return request.uri(); }
        @Override public String getRequestMethod() { return request.method(); }
        @Override public HttpContext getHttpContext() { throw new UnsupportedOperationException("no contexts here"); }
        @Override public InputStream getRequestBody() { return InputStream.nullInputStream(); }
        @Override public OutputStream getResponseBody() { return body; }
        @Override public int getResponseCode() { return status == 0 ? -1 : status; }
        @Override public String getProtocol() { return request.protocol(); }
        @Override public Object getAttribute(String name) { return attributes.get(name); }
        @Override public void setAttribute(String name, Object value) {
            if (value == null) attributes.remove(name);
            else attributes.put(name, value);
        }
        @Override public void setStreams(InputStream i, OutputStream o) { throw new UnsupportedOperationException(); }
        @Override public HttpPrincipal getPrincipal() { return null; }

        @Override public void sendResponseHeaders(int code, long length) throws IOException {
            if (status != 0) throw new IOException("headers already sent");
            status = code;
        }

        @Override public InetSocketAddress getRemoteAddress() {
            try {
                return (InetSocketAddress) conn.channel.getRemoteAddress();
            } catch (IOException e) {
                return null;
            }
        }

        @Override public InetSocketAddress getLocalAddress() { return address(); }

        /** Sends the answer (500 when the handler never began one). */
        @Override public synchronized void close() {
            if (closed) return;
            closed = true;
            reply(conn, status == 0 ? Response.of(500, "no answer\n") : Response.of(status, responseHeaders, body.toByteArray()));
        }
    }
}
