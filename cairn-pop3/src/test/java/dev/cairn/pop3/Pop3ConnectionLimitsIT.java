// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.ConnectionLimits;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import dev.cairn.testkit.Conversation;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The per-address connection limits and the login deadline (issue 15), as POP3 applies them. */
class Pop3ConnectionLimitsIT {
    @TempDir Path dir;
    SlotStore slot;
    Pop3Server server;
    final List<Conversation> open = new ArrayList<>();

    @BeforeEach
    void open() { slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false)); }

    @AfterEach
    void stop() throws Exception {
        for (Conversation c : open) c.close();
        if (server != null) server.close();
        slot.close();
    }

    void start(ConnectionLimits limits, Duration preAuthIdle) throws Exception {
        Pop3Config defaults = Pop3Config.defaults();
        Pop3Config config = defaults.withListen(new InetSocketAddress("127.0.0.1", 0)).withConnectionLimits(limits)
                .withLimits(defaults.limits().withIdleTimeouts(preAuthIdle, Duration.ofMinutes(10)));
        server = new Pop3Server(config, slot, new MapAuthenticator(Map.of("alice", "secret", "bob", "pw")),
                new AuthThrottle(AuthThrottle.Config.DEFAULT, Clock.systemUTC(), d -> { }));
        server.start();
    }

    Conversation connect(String from) throws Exception {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(server.boundAddress(), 10_000);
        s.setSoTimeout(10_000);
        Conversation c = new Conversation(s);
        open.add(c);
        return c;
    }

    /** 2 pre-login and 3 in all per address: the third pre-login one and the fourth one are refused; another address is not. */
    @Test @Timeout(60)
    void connectionsPerAddressAtLimitAndOver() throws Exception {
        start(new ConnectionLimits(3, 2, Duration.ofMinutes(1)), Duration.ofMinutes(1));
        Conversation first = connect("127.0.0.1").run("S: +OK Cairn POP3 ready");
        connect("127.0.0.1").run("S: +OK Cairn POP3 ready");
        connect("127.0.0.1").run("S: -ERR [SYS/TEMP] Too many connections, try again later\nS: <closed>");
        connect("127.0.0.2").run("""
                S: +OK Cairn POP3 ready
                C: USER bob
                S: +OK Send PASS
                C: PASS pw
                S: +OK Logged in, 0 messages
                """);
        first.run("""
                # a logged-in connection counts only against the total
                C: USER alice
                S: +OK Send PASS
                C: PASS secret
                S: +OK Logged in, 0 messages
                """);
        connect("127.0.0.1").run("S: +OK Cairn POP3 ready");
        connect("127.0.0.1").run("S: -ERR [SYS/TEMP] Too many connections, try again later\nS: <closed>");
    }

    /** One octet every 250 ms never lets the idle timeout (1 s) fire; the login deadline (2 s) ends the session. */
    @Test @Timeout(60)
    void aClientTricklingOctetsIsClosedAtTheLoginDeadline() throws Exception {
        start(new ConnectionLimits(10, 10, Duration.ofSeconds(2)), Duration.ofSeconds(1));
        long start = System.nanoTime();
        Conversation c = connect("127.0.0.1").run("S: +OK Cairn POP3 ready");
        c.socket().setSoTimeout(100);
        String answer = null;
        try {
            while (System.nanoTime() - start < Duration.ofSeconds(8).toNanos()) {
                c.send("x");
                try {
                    int first = c.socket().getInputStream().read(); // within 100 ms, or SocketTimeoutException
                    answer = first < 0 ? null : (char) first + c.readLine();
                    break;
                } catch (SocketTimeoutException quiet) {
                    Thread.sleep(150);
                }
            }
        } catch (SocketException closed) {
            answer = "<closed>";
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(answer).as("after %s", took).isEqualTo("-ERR Disconnected: no login within 2 seconds");
        assertThat(took).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(4));
        c.socket().setSoTimeout(5000);
        c.run("S: <closed>");
    }
}
