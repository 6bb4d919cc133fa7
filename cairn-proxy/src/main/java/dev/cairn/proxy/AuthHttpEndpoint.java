// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Authenticator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Predicate;

/**
 * The HTTP endpoint nginx's mail proxy asks ({@code auth_http}, ngx_mail_auth_http_module): for a
 * client's IMAP or POP3 login it checks the password and names the master of the user's store,
 * where nginx then logs in with the client's own name and password. So an existing nginx mail
 * proxy can be the front-end of a cluster whose masters move.
 *
 * <ul>
 *   <li>Only nginx may ask: each request carries the shared key in {@value #KEY_HEADER} (nginx:
 *       {@code auth_http_header}); a request without it gets 403 and nothing else.</li>
 *   <li>Only plain passwords (Auth-Method plain) for imap and pop3; anything else is refused and
 *       the session ends.</li>
 *   <li>The password is checked through the node's {@link AuthThrottle}, with nginx's Client-IP
 *       as the client's address: penalties apply per client and per account as for a login on the
 *       node itself, and the log line names the client (fail2ban bans the client, not nginx).</li>
 *   <li>A failure answers {@code Auth-Wait}, so nginx lets the client try again; nginx keeps
 *       memory for each attempt until the session ends, so from attempt {@value #MAX_ATTEMPTS} on
 *       the answer has no wait and nginx closes the session.</li>
 *   <li>At most {@value #MAX_IN_FLIGHT} questions are answered at once (each may wait out a
 *       penalty or a failover); one more is answered "try again later" at once.</li>
 * </ul>
 *
 * <p>Requests run on virtual threads: one waits out its client's penalty, or a failover's new
 * master ({@code loginWait}), without holding a platform thread; the password checks themselves
 * run on the throttle's check threads.
 */
public final class AuthHttpEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuthHttpEndpoint.class);
    /** The path nginx's {@code auth_http} names. */
    public static final String PATH = "/auth";
    /** The header that carries the shared key: {@code auth_http_header X-Cairn-Auth-Key "..."}. */
    public static final String KEY_HEADER = "X-Cairn-Auth-Key";
    /** Logins one nginx session may try: the failure of this one ends the session. */
    static final int MAX_ATTEMPTS = 10;
    /** Questions answered at once; more are answered "try again later" at once (nginx's own connections are bounded too). */
    static final int MAX_IN_FLIGHT = 1024;
    private static final String MECHANISM = "AUTH-HTTP";
    private static final String MAX_IN_FLIGHT_REASON = "too many questions of nginx at once";
    /** How long a back-end may take to accept the probe's connection before it counts as gone for now. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(50), MAX_BACKOFF = Duration.ofSeconds(1);

    private final Locator locator;
    private final Authenticator authenticator;
    private final AuthThrottle throttle;
    private final byte[] key;
    private final Map<String, InetSocketAddress> ownListeners;
    private final Duration loginWait;
    private final int failureWaitSeconds;
    private final MeterRegistry meters;
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Timer latency;
    /** Each question may wait out a penalty and a failover: a budget taken before that wait. */
    private final Semaphore inFlight;
    /** Whether a back-end accepts connections now (a TCP connect): a master killed a moment ago is still named by the cluster. */
    private final Predicate<InetSocketAddress> accepting;
    private HttpServer server;
    private ExecutorService executor;

    /**
     * @param locator       where each user is served now
     * @param authenticator the directory's password check (the node's own, not one that refuses logins on a replica)
     * @param throttle      the node's, shared with its IMAP and POP3 listeners
     * @param key           the shared key nginx sends in {@value #KEY_HEADER}
     * @param ownListeners  this node's IMAP and POP3 listeners by protocol ("imap", "pop3"), for
     *                      users whose store this node masters ({@link Location.Here}); a wildcard
     *                      address is answered as the address nginx reached this endpoint on
     * @param loginWait     how long a login waits for its store's next master during a failover
     *                      (keep it under nginx's {@code auth_http_timeout}, 60 s by default)
     */
    public AuthHttpEndpoint(Locator locator, Authenticator authenticator, AuthThrottle throttle, String key,
                            Map<String, InetSocketAddress> ownListeners, Duration loginWait, MeterRegistry meters) {
        this(locator, authenticator, throttle, key, ownListeners, loginWait, meters, MAX_IN_FLIGHT, AuthHttpEndpoint::accepts);
    }

    /** With a bound of the test's choosing on the questions answered at once, and its own idea of which back-ends accept connections. */
    AuthHttpEndpoint(Locator locator, Authenticator authenticator, AuthThrottle throttle, String key,
                     Map<String, InetSocketAddress> ownListeners, Duration loginWait, MeterRegistry meters, int maxInFlight,
                     Predicate<InetSocketAddress> accepting) {
        this.inFlight = new Semaphore(maxInFlight);
        this.accepting = Objects.requireNonNull(accepting);
        this.locator = Objects.requireNonNull(locator);
        this.authenticator = Objects.requireNonNull(authenticator);
        this.throttle = Objects.requireNonNull(throttle);
        if (key == null || key.length() < 16) throw new IllegalArgumentException("the auth_http key must have at least 16 characters");
        this.key = key.getBytes(StandardCharsets.UTF_8);
        this.ownListeners = Map.copyOf(ownListeners);
        this.loginWait = Objects.requireNonNull(loginWait);
        // the throttle makes the next check wait the client's penalty; nginx's own wait need only be short
        this.failureWaitSeconds = (int) Math.max(1, Math.min(15, throttle.config().initialDelay().toSeconds()));
        this.meters = Objects.requireNonNull(meters);
        for (String protocol : new String[] {"imap", "pop3"}) {
            for (String status : new String[] {"ok", "invalid", "temporary", "refused"}) counter(protocol, status);
        }
        this.latency = Timer.builder("cairn.proxy.auth_http.latency").description("auth_http requests, from the request to the answer")
                .register(meters);
    }

    /** Listens at {@code address} (port 0: any); answers the address it bound. */
    public synchronized InetSocketAddress start(InetSocketAddress address) throws IOException {
        if (server != null) throw new IllegalStateException("started");
        server = HttpServer.create(address, 64);
        executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("cairn-auth-http-", 0).factory());
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        log.info("auth_http: nginx's mail proxy may ask at http://{}:{}{}", server.getAddress().getAddress().getHostAddress(),
                server.getAddress().getPort(), PATH);
        return server.getAddress();
    }

    public synchronized InetSocketAddress address() {
        if (server == null) throw new IllegalStateException("not started");
        return server.getAddress();
    }

    private void handle(HttpExchange exchange) throws IOException {
        long start = System.nanoTime();
        try (exchange) {
            String sent = exchange.getRequestHeaders().getFirst(KEY_HEADER);
            // compared in constant time: the key is what keeps everyone else from testing passwords here
            if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), key)) {
                counter(label(exchange.getRequestHeaders().getFirst("Auth-Protocol")), "refused").increment();
                exchange.sendResponseHeaders(403, -1);
                return;
            }
            if (!exchange.getRequestURI().getPath().equals(PATH) || !exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            AuthHttpAnswer answer;
            String protocol = "other";
            boolean admitted = inFlight.tryAcquire();
            try {
                AuthHttpRequest request = AuthHttpRequest.parse(exchange.getRequestHeaders()::getFirst);
                protocol = label(request.protocol());
                answer = admitted ? answer(request, exchange.getRemoteAddress().getAddress(), exchange.getLocalAddress().getAddress())
                        : new AuthHttpAnswer.Temporary(failureWaitSeconds, MAX_IN_FLIGHT_REASON);
            } catch (AuthHttpRequest.Malformed e) {
                answer = new AuthHttpAnswer.Refused("Malformed authentication request");
                log.warn("auth_http: a request from {} that nginx would not send: {}", exchange.getRemoteAddress(), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                answer = new AuthHttpAnswer.Temporary(0, "stopping");
            } catch (RuntimeException e) {
                // the directory or the cluster failed in a way of its own: nginx still gets an answer it understands
                log.warn("auth_http: a {} login could not be answered", protocol, e);
                answer = new AuthHttpAnswer.Temporary(failureWaitSeconds, e.toString());
            } finally {
                if (admitted) inFlight.release();
            }
            if (answer instanceof AuthHttpAnswer.Temporary t) log.info("auth_http: {} login refused for now: {}", protocol, t.reason());
            counter(protocol, answer.status()).increment();
            // counted before nginx has the answer, so what it sees next (and a test) finds it counted
            latency.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            answer.headers().forEach(exchange.getResponseHeaders()::set);
            exchange.sendResponseHeaders(200, -1);
        }
    }

    /** The answer to one well-formed request; {@code requester} is nginx, {@code local} this endpoint's address it reached. */
    AuthHttpAnswer answer(AuthHttpRequest request, InetAddress requester, InetAddress local) throws InterruptedException {
        if (!request.method().equals("plain")) return new AuthHttpAnswer.Refused("Unsupported authentication method");
        if (!request.protocol().equals("imap") && !request.protocol().equals("pop3")) {
            return new AuthHttpAnswer.Refused("Unsupported protocol");
        }
        // a failure from the bounded attempt on ends the session (nginx keeps each attempt's memory until then)
        int wait = request.attempt() >= MAX_ATTEMPTS ? 0 : failureWaitSeconds;
        InetAddress client = request.client() != null ? request.client() : requester;
        AuthThrottle.Attempt attempt = new AuthThrottle.Attempt(request.protocol(), MECHANISM, request.user(), client);
        AuthResult result = throttle.check(attempt,
                () -> authenticator.authenticate(request.user(), request.password(), null, client, false));
        return switch (result) {
            case AuthResult.Failure f when f.reason() == AuthResult.Reason.TEMPORARY_FAILURE ->
                    new AuthHttpAnswer.Temporary(wait, "the password could not be checked now");
            case AuthResult.Failure f -> new AuthHttpAnswer.Invalid(wait);
            case AuthResult.Success s -> route(request.protocol(), s.user(), local, wait);
        };
    }

    /**
     * Where the login goes. nginx cannot try another back-end: one that refuses its connection ends the
     * client's session with an error. A master killed a moment ago is still named by the cluster until
     * its session expires, so a back-end is named only once it accepts a connection; one that does not
     * may be failing over, and the login locates again (50 ms doubling to 1 s) until loginWait is spent,
     * as a relayed login does ({@link RelayRoutes}).
     */
    private AuthHttpAnswer route(String protocol, String user, InetAddress local, int wait) throws InterruptedException {
        long deadline = System.nanoTime() + loginWait.toNanos();
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            Backend backend;
            switch (locator.locate(protocol, user, left)) {
                case Location.At at -> backend = at.backend();
                case Location.Here here -> {
                    InetSocketAddress own = ownListeners.get(protocol);
                    if (own == null) return new AuthHttpAnswer.Temporary(wait, "this node masters " + here.store() + " but has no " + protocol + " listener");
                    return new AuthHttpAnswer.Ok(own.getAddress().isAnyLocalAddress() ? local : own.getAddress(), own.getPort());
                }
                case Location.Nowhere nowhere -> {
                    return new AuthHttpAnswer.Temporary(wait, nowhere.reason());
                }
            }
            InetAddress address;
            try {
                // nginx takes only an address: a back-end registered by name is resolved here, once per login
                address = InetAddress.getByName(backend.host());
            } catch (UnknownHostException e) {
                return new AuthHttpAnswer.Temporary(wait, "the name of " + backend + " does not resolve");
            }
            if (accepting.test(new InetSocketAddress(address, backend.port()))) return new AuthHttpAnswer.Ok(address, backend.port());
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return new AuthHttpAnswer.Temporary(wait, backend + " did not accept connections within " + loginWait.toMillis() + " ms");
            }
            log.debug("auth_http: {} refuses connections, locating {}'s master again", backend, user);
            Thread.sleep(Math.min(backoff.toMillis(), Math.max(1, remaining / 1_000_000)));
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    /** A TCP connection to the back-end, closed at once (its session ends at the end of input, unauthenticated). */
    private static boolean accepts(InetSocketAddress backend) {
        try (Socket probe = new Socket()) {
            probe.connect(backend, (int) PROBE_TIMEOUT.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The protocol label: a closed set, whatever a request says. */
    private static String label(String protocol) {
        return protocol != null && (protocol.equalsIgnoreCase("imap") || protocol.equalsIgnoreCase("pop3"))
                ? protocol.toLowerCase(java.util.Locale.ROOT) : "other";
    }

    private Counter counter(String protocol, String status) {
        return requests.computeIfAbsent(protocol + " " + status, k -> Counter.builder("cairn.proxy.auth_http.requests")
                .tag("protocol", protocol).tag("status", status)
                .description("auth_http requests of nginx's mail proxy, by protocol and answer").register(meters));
    }

    @Override
    public synchronized void close() {
        if (server == null) return;
        server.stop(0);
        // a request waiting out a penalty or a failover is abandoned: nginx answers its client with an error
        executor.shutdownNow();
        server = null;
    }
}
