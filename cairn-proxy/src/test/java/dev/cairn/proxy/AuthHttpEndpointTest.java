// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.protocol.testing.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The auth_http endpoint answered over real HTTP, as nginx's mail module asks it: the headers of
 * the module's documentation ("Protocol"), the shared key of {@code auth_http_header}. The
 * throttle runs on a fake clock, so each penalty is exact and nothing sleeps.
 */
@Timeout(60)
class AuthHttpEndpointTest {
    static final String KEY = "0123456789abcdef-test-key";
    /** alice's password has what nginx escapes (space, '%'), a '+' it does not, and UTF-8. */
    static final String ALICE_PASSWORD = "a b%c+d é";

    final FakeClock clock = new FakeClock();
    final List<Duration> slept = new CopyOnWriteArrayList<>();
    final AuthThrottle throttle = new AuthThrottle(AuthThrottle.Config.DEFAULT, clock, clock.sleeper(slept));
    final FixedLocator locator = new FixedLocator();
    final List<String> checked = new CopyOnWriteArrayList<>();
    final Map<String, String> passwords = new LinkedHashMap<>(Map.of("alice", ALICE_PASSWORD, "jörg", "pw", "bob", "pw-bob"));
    volatile boolean directoryDown;
    final Authenticator directory = (authcid, password, authzid, remote, secure) -> {
        checked.add(authcid + "/" + password + "@" + remote.getHostAddress());
        if (directoryDown) return new AuthResult.Failure(AuthResult.Reason.TEMPORARY_FAILURE, "down");
        return password.equals(passwords.get(authcid)) ? AuthResult.success(authcid) : AuthResult.invalid("wrong");
    };
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final HttpClient http = HttpClient.newHttpClient();
    AuthHttpEndpoint endpoint;
    URI uri;
    /** Back-ends that refuse connections (a master killed a moment ago); every other one accepts. */
    final java.util.Set<InetSocketAddress> refusing = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws Exception {
        endpoint = new AuthHttpEndpoint(locator, directory, throttle, KEY,
                Map.of("imap", new InetSocketAddress("0.0.0.0", 1143), "pop3", new InetSocketAddress("127.0.0.9", 1110)),
                Duration.ZERO, meters, AuthHttpEndpoint.MAX_IN_FLIGHT, backend -> !refusing.contains(backend));
        InetSocketAddress a = endpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        uri = URI.create("http://127.0.0.1:" + a.getPort() + AuthHttpEndpoint.PATH);
    }

    @AfterEach
    void stop() {
        endpoint.close();
        http.close();
    }

    /** What nginx sends for a login: its escaping of the user and password (space, '%', octets over 0x7f; not '+'). */
    static String nginxEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (byte o : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = o & 0xff;
            if (c <= 0x20 || c == '%' || c >= 0x7f) b.append('%').append(String.format("%02X", c));
            else b.append((char) c);
        }
        return b.toString();
    }

    HttpResponse<Void> ask(String key, String method, String protocol, String user, String password, int attempt, String clientIp)
            throws Exception {
        List<String> headers = new ArrayList<>(List.of("Auth-Method", method, "Auth-User", nginxEscape(user),
                "Auth-Pass", nginxEscape(password), "Auth-Protocol", protocol, "Auth-Login-Attempt", Integer.toString(attempt),
                "Client-IP", clientIp, "Client-Host", "[UNAVAILABLE]"));
        if (key != null) headers.addAll(List.of(AuthHttpEndpoint.KEY_HEADER, key));
        HttpRequest request = HttpRequest.newBuilder(uri).headers(headers.toArray(String[]::new)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.discarding());
    }

    HttpResponse<Void> login(String protocol, String user, String password, String clientIp) throws Exception {
        return ask(KEY, "plain", protocol, user, password, 1, clientIp);
    }

    static String header(HttpResponse<?> r, String name) { return r.headers().firstValue(name).orElse(null); }

    double count(String protocol, String status) {
        var c = meters.find("cairn.proxy.auth_http.requests").tag("protocol", protocol).tag("status", status).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aGoodPasswordNamesTheMastersAddressAndPort() throws Exception {
        locator.at("alice", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143), new Backend("n2", "pop3", "127.0.0.2", 2110));
        HttpResponse<Void> r = login("imap", "alice", ALICE_PASSWORD, "192.0.2.7");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "Auth-Status")).isEqualTo("OK");
        assertThat(header(r, "Auth-Server")).isEqualTo("127.0.0.2");
        assertThat(header(r, "Auth-Port")).isEqualTo("2143");
        assertThat(header(login("pop3", "alice", ALICE_PASSWORD, "192.0.2.7"), "Auth-Port")).isEqualTo("2110");
        assertThat(count("imap", "ok")).isEqualTo(1);
        assertThat(meters.find("cairn.proxy.auth_http.latency").timer().count()).isEqualTo(2);
    }

    @Test
    void aMasterThatRefusesConnectionsIsNotNamedTheLoginWaitsForTheNextOne() throws Exception {
        endpoint.close();
        InetSocketAddress killed = new InetSocketAddress("127.0.0.2", 2143);
        refusing.add(killed);
        locator.at("alice", "s1", 3, new Backend("n1", "imap", "127.0.0.2", 2143));
        List<InetSocketAddress> probed = new java.util.concurrent.CopyOnWriteArrayList<>();
        endpoint = new AuthHttpEndpoint(locator, directory, throttle, KEY, Map.of(), Duration.ofSeconds(30), meters,
                AuthHttpEndpoint.MAX_IN_FLIGHT, backend -> {
                    probed.add(backend);
                    // the cluster names the new master after the dead one was tried twice (its session expired)
                    if (probed.size() == 2) locator.at("alice", "s1", 4, new Backend("n2", "imap", "127.0.0.3", 2143));
                    return !refusing.contains(backend);
                });
        uri = URI.create("http://127.0.0.1:" + endpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).getPort()
                + AuthHttpEndpoint.PATH);
        HttpResponse<Void> r = login("imap", "alice", ALICE_PASSWORD, "192.0.2.7");
        assertThat(header(r, "Auth-Status")).isEqualTo("OK");
        assertThat(header(r, "Auth-Server")).isEqualTo("127.0.0.3");
        assertThat(probed).containsExactly(killed, killed, new InetSocketAddress("127.0.0.3", 2143));
    }

    @Test
    void aMasterThatStillRefusesConnectionsAfterTheLoginWaitIsATemporaryFailure() throws Exception {
        endpoint.close();
        refusing.add(new InetSocketAddress("127.0.0.2", 2143));
        locator.at("alice", "s1", 3, new Backend("n1", "imap", "127.0.0.2", 2143));
        endpoint = new AuthHttpEndpoint(locator, directory, throttle, KEY, Map.of(), Duration.ofMillis(200), meters,
                AuthHttpEndpoint.MAX_IN_FLIGHT, backend -> !refusing.contains(backend));
        uri = URI.create("http://127.0.0.1:" + endpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).getPort()
                + AuthHttpEndpoint.PATH);
        HttpResponse<Void> r = login("imap", "alice", ALICE_PASSWORD, "192.0.2.7");
        assertThat(header(r, "Auth-Status")).isEqualTo("Temporary server problem, try again later");
        assertThat(header(r, "Auth-Wait")).isNotNull();
        assertThat(count("imap", "temporary")).isEqualTo(1);
    }

    @Test
    void aBackEndRegisteredByNameIsAnsweredAsAnAddressBecauseNginxDoesNotResolve() throws Exception {
        locator.at("bob", "s1", 1, new Backend("n2", "imap", "localhost", 2143));
        HttpResponse<Void> r = login("imap", "bob", "pw-bob", "192.0.2.7");
        assertThat(header(r, "Auth-Status")).isEqualTo("OK");
        assertThat(InetAddress.ofLiteral(header(r, "Auth-Server")).isLoopbackAddress()).isTrue();
        // a name that does not resolve: try again later, not a wrong password
        locator.at("bob", "s1", 2, new Backend("n2", "imap", "no-such-host.invalid", 2143));
        HttpResponse<Void> t = login("imap", "bob", "pw-bob", "192.0.2.7");
        assertThat(header(t, "Auth-Status")).isEqualTo("Temporary server problem, try again later");
        assertThat(header(t, "Auth-Wait")).isNotNull();
    }

    @Test
    void aUserOfThisNodeGetsItsOwnListenerAndAWildcardOneTheAddressNginxReachedUsOn() throws Exception {
        locator.here("bob", "s0");
        HttpResponse<Void> imap = login("imap", "bob", "pw-bob", "192.0.2.7");
        assertThat(header(imap, "Auth-Server")).isEqualTo("127.0.0.1");
        assertThat(header(imap, "Auth-Port")).isEqualTo("1143");
        HttpResponse<Void> pop3 = login("pop3", "bob", "pw-bob", "192.0.2.7");
        assertThat(header(pop3, "Auth-Server")).isEqualTo("127.0.0.9");
        assertThat(header(pop3, "Auth-Port")).isEqualTo("1110");
    }

    @Test
    void aWrongPasswordIsInvalidWithAWaitSoNginxLetsTheClientTryAgain() throws Exception {
        locator.at("alice", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143));
        HttpResponse<Void> r = login("imap", "alice", "guess", "192.0.2.7");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "Auth-Status")).isEqualTo("Invalid login or password");
        assertThat(header(r, "Auth-Wait")).isEqualTo("2");
        assertThat(header(r, "Auth-Server")).isNull();
        // an unknown user gets the same answer
        HttpResponse<Void> unknown = login("imap", "mallory", "guess", "192.0.2.8");
        assertThat(unknown.headers().map()).containsAllEntriesOf(Map.of("Auth-Status", List.of("Invalid login or password"),
                "Auth-Wait", List.of("2")));
        assertThat(count("imap", "invalid")).isEqualTo(2);
    }

    @Test
    void aRequestWithoutTheSharedKeyGets403AndNoPasswordIsChecked() throws Exception {
        locator.at("alice", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143));
        for (String key : new String[] {null, "", "wrong", KEY + "x", KEY.substring(1)}) {
            HttpResponse<Void> r = ask(key, "plain", "imap", "alice", ALICE_PASSWORD, 1, "192.0.2.7");
            assertThat(r.statusCode()).as("key %s", key).isEqualTo(403);
            assertThat(r.headers().firstValue("Auth-Status")).isEmpty();
            assertThat(r.headers().firstValue("Auth-Server")).isEmpty();
        }
        assertThat(checked).isEmpty();
        assertThat(count("imap", "refused")).isEqualTo(5);
    }

    @Test
    void smtpAndMethodsOtherThanPlainAreRefusedWithoutAWaitAndUnchecked() throws Exception {
        locator.at("alice", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143));
        HttpResponse<Void> smtp = ask(KEY, "plain", "smtp", "alice", ALICE_PASSWORD, 1, "192.0.2.7");
        assertThat(header(smtp, "Auth-Status")).isEqualTo("Unsupported protocol");
        assertThat(header(smtp, "Auth-Wait")).isNull();
        assertThat(header(smtp, "Auth-Server")).isNull();
        HttpResponse<Void> apop = ask(KEY, "apop", "pop3", "alice", "salted", 1, "192.0.2.7");
        assertThat(header(apop, "Auth-Status")).isEqualTo("Unsupported authentication method");
        assertThat(checked).isEmpty();
        assertThat(count("other", "refused")).isEqualTo(1);
        assertThat(count("pop3", "refused")).isEqualTo(1);
    }

    @Test
    void theUserAndPasswordAreDecodedAsNginxEncodesThemWithPlusKeptAndUtf8() throws Exception {
        locator.at("alice", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143));
        locator.at("jörg", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143));
        assertThat(header(login("imap", "alice", ALICE_PASSWORD, "192.0.2.7"), "Auth-Status")).isEqualTo("OK");
        assertThat(header(login("imap", "jörg", "pw", "192.0.2.7"), "Auth-Status")).isEqualTo("OK");
        assertThat(checked).containsExactly("alice/a b%c+d é@192.0.2.7", "jörg/pw@192.0.2.7");
        // a '%' that is no escape is not what nginx sends: refused, unchecked
        HttpRequest bad = HttpRequest.newBuilder(uri).headers(AuthHttpEndpoint.KEY_HEADER, KEY, "Auth-Method", "plain",
                "Auth-User", "alice", "Auth-Pass", "50%", "Auth-Protocol", "imap", "Auth-Login-Attempt", "1",
                "Client-IP", "192.0.2.7").GET().build();
        HttpResponse<Void> r = http.send(bad, HttpResponse.BodyHandlers.discarding());
        assertThat(header(r, "Auth-Status")).isEqualTo("Malformed authentication request");
        assertThat(header(r, "Auth-Wait")).isNull();
        assertThat(checked).hasSize(2);
    }

    @Test
    void noMasterNowIsATemporaryFailureWithAWaitNotAWrongPassword() throws Exception {
        HttpResponse<Void> r = login("imap", "bob", "pw-bob", "192.0.2.7"); // the locator names no master for bob
        assertThat(header(r, "Auth-Status")).isEqualTo("Temporary server problem, try again later");
        assertThat(header(r, "Auth-Wait")).isEqualTo("2");
        directoryDown = true;
        HttpResponse<Void> d = login("imap", "bob", "pw-bob", "192.0.2.7");
        assertThat(header(d, "Auth-Status")).isEqualTo("Temporary server problem, try again later");
        assertThat(count("imap", "temporary")).isEqualTo(2);
        // neither was a guess: no penalty for the client
        assertThat(header(login("imap", "bob", "pw-bob", "192.0.2.7"), "Auth-Status")).startsWith("Temporary");
        assertThat(slept).isEmpty();
    }

    @Test
    void aLocatorThatThrowsIsATemporaryFailureNginxUnderstands() throws Exception {
        endpoint.close();
        Locator broken = (protocol, user, wait) -> { throw new IllegalStateException("the cluster's view failed"); };
        endpoint = new AuthHttpEndpoint(broken, directory, throttle, KEY, Map.of(), Duration.ZERO, meters);
        uri = URI.create("http://127.0.0.1:" + endpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).getPort()
                + AuthHttpEndpoint.PATH);
        HttpResponse<Void> r = login("imap", "bob", "pw-bob", "192.0.2.7");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "Auth-Status")).isEqualTo("Temporary server problem, try again later");
        assertThat(header(r, "Auth-Wait")).isEqualTo("2");
    }

    @Test
    void guessesArePenalizedPerClientIpAsDirectLoginsAre() throws Exception {
        locator.at("bob", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143));
        // the throttle's own doubling (AuthThrottleTest), keyed by nginx's Client-IP
        for (int i = 0; i < 4; i++) login("imap", "mallory", "guess" + i, "192.0.2.66");
        assertThat(slept).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8));
        // another client behind the same nginx is not slowed by the guesser
        assertThat(header(login("imap", "bob", "pw-bob", "198.51.100.7"), "Auth-Status")).isEqualTo("OK");
        assertThat(slept).hasSize(3);
        // the penalty follows the client's address across protocols
        login("pop3", "mallory", "guess", "192.0.2.66");
        assertThat(slept).hasSize(4).last().isEqualTo(Duration.ofSeconds(15));
        assertThat(checked).allMatch(c -> c.endsWith("@192.0.2.66") || c.endsWith("@198.51.100.7"));
    }

    @Test
    void aClientIpThatIsNoAddressCountsAgainstTheRequester() throws Exception {
        login("imap", "mallory", "guess", "not-an-address");
        assertThat(checked).containsExactly("mallory/guess@127.0.0.1");
        login("imap", "mallory", "guess", "127.0.0.1");
        assertThat(slept).containsExactly(Duration.ofSeconds(2));
    }

    @Test
    void aSessionsFailuresEndItAtTheAttemptLimit() throws Exception {
        int limit = AuthHttpEndpoint.MAX_ATTEMPTS;
        HttpResponse<Void> before = ask(KEY, "plain", "imap", "mallory", "guess", limit - 1, "192.0.2.66");
        assertThat(header(before, "Auth-Wait")).as("attempt %d", limit - 1).isEqualTo("2");
        HttpResponse<Void> last = ask(KEY, "plain", "imap", "mallory", "guess", limit, "192.0.2.66");
        assertThat(header(last, "Auth-Status")).isEqualTo("Invalid login or password");
        assertThat(header(last, "Auth-Wait")).as("attempt %d: nginx closes the session", limit).isNull();
        HttpResponse<Void> over = ask(KEY, "plain", "imap", "mallory", "guess", limit + 1, "192.0.2.66");
        assertThat(header(over, "Auth-Wait")).as("attempt %d", limit + 1).isNull();
        // a right password at the limit still logs in
        locator.at("bob", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143));
        assertThat(header(ask(KEY, "plain", "imap", "bob", "pw-bob", limit + 1, "198.51.100.7"), "Auth-Status")).isEqualTo("OK");
    }

    @Test
    void oneQuestionOverTheInFlightBoundIsAnsweredTryAgainLaterAtOnce() throws Exception {
        int limit = 2;
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(limit);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Authenticator slow = (authcid, password, authzid, remote, secure) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return AuthResult.success(authcid);
        };
        AuthThrottle roomy = new AuthThrottle(AuthThrottle.Config.DEFAULT.withChecks(limit + 2, Duration.ofSeconds(30)),
                clock, clock.sleeper(slept));
        locator.at("bob", "s1", 3, new Backend("n2", "imap", "127.0.0.2", 2143));
        try (AuthHttpEndpoint bounded = new AuthHttpEndpoint(locator, slow, roomy, KEY, Map.of(), Duration.ZERO, meters, limit, backend -> true)) {
            uri = URI.create("http://127.0.0.1:" + bounded.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).getPort()
                    + AuthHttpEndpoint.PATH);
            List<java.util.concurrent.CompletableFuture<HttpResponse<Void>>> held = new ArrayList<>();
            for (int i = 0; i < limit; i++) {
                // limit - 1 in flight: one more is still taken
                held.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return login("imap", "bob", "pw-bob", "198.51.100.7");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            assertThat(entered.await(20, java.util.concurrent.TimeUnit.SECONDS)).as("both questions in flight").isTrue();
            // limit + 1: answered at once, unchecked
            HttpResponse<Void> over = login("imap", "bob", "pw-bob", "198.51.100.8");
            assertThat(header(over, "Auth-Status")).isEqualTo("Temporary server problem, try again later");
            assertThat(header(over, "Auth-Wait")).isEqualTo("2");
            release.countDown();
            for (var f : held) assertThat(header(f.get(20, java.util.concurrent.TimeUnit.SECONDS), "Auth-Status")).isEqualTo("OK");
            // the budget is given back
            assertThat(header(login("imap", "bob", "pw-bob", "198.51.100.8"), "Auth-Status")).isEqualTo("OK");
        }
    }
}
