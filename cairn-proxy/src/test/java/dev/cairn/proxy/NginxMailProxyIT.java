// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.imap.ImapConfig;
import dev.cairn.imap.ImapServer;
import dev.cairn.pop3.Pop3Config;
import dev.cairn.pop3.Pop3Server;
import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import dev.cairn.testkit.Conversation;
import dev.cairn.testkit.NginxProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's nginx with its mail module in front of two back-ends (IMAP and POP3 over a RocksDB
 * slot each, in-process), asking the {@link AuthHttpEndpoint} where each login goes: the login
 * lands on the master the locator names, and on the next one once the locator names another (as
 * after a failover). Skipped when nginx is not installed, except in CI.
 */
@Timeout(120)
class NginxMailProxyIT {
    static final String KEY = "nginx-test-key-0123456789";
    /** What nginx escapes (space, '%', UTF-8 octets) and what it does not ('+'). */
    static final String ALICE_PASSWORD = "p a%s+s é";
    static final Map<String, String> PASSWORDS = Map.of("alice", ALICE_PASSWORD, "bob", "pw+b%b");
    static final Authenticator DIRECTORY = (authcid, password, authzid, remote, secure) ->
            password.equals(PASSWORDS.get(authcid)) ? AuthResult.success(authcid) : AuthResult.invalid("wrong password");
    static final AuthThrottle.Config FAST = new AuthThrottle.Config(Duration.ofMillis(1), Duration.ofMillis(4), Duration.ofMinutes(1), 1000);

    /** One back-end node: a slot, its IMAP and POP3 listeners on loopback. */
    record BackEnd(String name, SlotStore store, ImapServer imap, Pop3Server pop3) implements AutoCloseable {
        static BackEnd start(String name, Path dir) throws Exception {
            SlotStore store = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot")).withSync(false));
            InetAddress lo = InetAddress.getLoopbackAddress();
            AuthThrottle throttle = new AuthThrottle(FAST, Clock.systemUTC(), AuthThrottle.Sleeper.REAL);
            ImapServer imap = new ImapServer(new ImapConfig(new InetSocketAddress(lo, 0), null, null, false,
                    ImapConfig.Limits.DEFAULT, FAST, dir.resolve("spool")), store, DIRECTORY, throttle);
            imap.start();
            Pop3Server pop3 = new Pop3Server(Pop3Config.defaults().withListen(new InetSocketAddress(lo, 0)), store, DIRECTORY, throttle);
            pop3.start();
            return new BackEnd(name, store, imap, pop3);
        }

        Backend[] listeners() {
            return new Backend[] {new Backend(name, "imap", "127.0.0.1", imap.address().getPort()),
                    new Backend(name, "pop3", "127.0.0.1", pop3.boundAddress().getPort())};
        }

        /** Messages in the user's INBOX, asked of this back-end directly. */
        int inbox(String user) throws Exception {
            try (Conversation c = new Conversation(imap.address().getPort())) {
                c.run("S: * OK…");
                c.send("a LOGIN " + user + " " + quoted(PASSWORDS.get(user)) + "\r\n").run("S* ^a OK.*");
                c.send("b SELECT INBOX\r\n");
                int exists = -1;
                for (String line; !(line = c.readLine()).startsWith("b "); ) {
                    Matcher m = Pattern.compile("\\* (\\d+) EXISTS").matcher(line);
                    if (m.matches()) exists = Integer.parseInt(m.group(1));
                }
                return exists;
            }
        }

        @Override public void close() {
            pop3.close();
            imap.close();
            store.close();
        }
    }

    final FixedLocator locator = new FixedLocator();
    BackEnd a, b;
    AuthHttpEndpoint endpoint;
    NginxProcess nginx;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        assumeTrue(NginxProcess.installed() || NginxProcess.required(),
                "nginx with its mail module is not installed (apt-get install " + NginxProcess.PACKAGES + ")");
        a = BackEnd.start("a", dir.resolve("a"));
        b = BackEnd.start("b", dir.resolve("b"));
        endpoint = new AuthHttpEndpoint(locator, DIRECTORY, new AuthThrottle(FAST, Clock.systemUTC(), AuthThrottle.Sleeper.REAL),
                KEY, Map.of(), Duration.ofSeconds(5), new SimpleMeterRegistry());
        InetSocketAddress auth = endpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        nginx = NginxProcess.mailProxy(URI.create("http://127.0.0.1:" + auth.getPort() + AuthHttpEndpoint.PATH),
                AuthHttpEndpoint.KEY_HEADER, KEY, List.of("imap", "pop3"));
    }

    @AfterEach
    void stop() {
        if (nginx != null) nginx.close();
        if (endpoint != null) endpoint.close();
        if (b != null) b.close();
        if (a != null) a.close();
    }

    static String quoted(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Logs in through nginx and appends one message; answers the transcript for a failure's message. */
    void appendThroughNginx(String user, String subject) throws Exception {
        try (Conversation c = new Conversation(nginx.port("imap"))) {
            c.run("S: * OK…");
            c.send("a1 LOGIN " + user + " " + quoted(PASSWORDS.get(user)) + "\r\n").run("S* ^a1 OK.*");
            byte[] message = ("From: x@example.org\r\nSubject: " + subject + "\r\n\r\nthrough nginx\r\n").getBytes(StandardCharsets.UTF_8);
            c.send("a2 APPEND INBOX {" + message.length + "}\r\n").run("S: +…");
            c.send(message).send("\r\n").run("S* ^a2 OK.*");
            c.run("C: a3 LOGOUT\nS* ^a3 OK.*");
        }
    }

    @Test
    void aLoginThroughNginxLandsOnTheMasterAndAfterAFailoverOnTheNewOne() throws Exception {
        locator.at("alice", "s1", 1, a.listeners());
        appendThroughNginx("alice", "one");
        assertThat(a.inbox("alice")).isEqualTo(1);
        assertThat(b.inbox("alice")).isZero();
        // the store fails over to b: the next login through nginx lands there
        locator.at("alice", "s1", 2, b.listeners());
        appendThroughNginx("alice", "two");
        assertThat(b.inbox("alice")).isEqualTo(1);
        assertThat(a.inbox("alice")).isEqualTo(1);
    }

    @Test
    void aWrongPasswordThroughNginxGetsNoAndTheClientMayTryAgain() throws Exception {
        locator.at("alice", "s1", 1, a.listeners());
        try (Conversation c = new Conversation(nginx.port("imap"))) {
            c.run("S: * OK…");
            c.send("a1 LOGIN alice \"guess\"\r\n").run("S~ a1 NO .*");
            // Auth-Wait kept the session: the right password logs in
            c.send("a2 LOGIN alice " + quoted(ALICE_PASSWORD) + "\r\n").run("S* ^a2 OK.*");
        }
    }

    @Test
    void pop3ThroughNginxReachesTheMaster() throws Exception {
        locator.at("bob", "s2", 1, b.listeners());
        appendThroughNginx("bob", "for pop");
        try (Conversation c = new Conversation(nginx.port("pop3"))) {
            c.run("""
                    S: +OK…
                    C: USER bob
                    S: +OK…
                    C: PASS pw+b%b
                    S: +OK…
                    C: STAT
                    S~ \\+OK 1 \\d+
                    C: QUIT
                    S: +OK…
                    """);
        }
        assertThat(b.inbox("bob")).isEqualTo(1);
    }
}
