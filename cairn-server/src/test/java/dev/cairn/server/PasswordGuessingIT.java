// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.NewUser;
import dev.cairn.directory.PasswordHasher;
import dev.cairn.directory.SqliteDirectory;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.protocol.auth.Sasl;
import dev.cairn.protocol.testing.FakeClock;
import dev.cairn.server.config.ListenAddress;
import dev.cairn.server.config.ListenerConfig;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Password guessing against a node's IMAP and POP3 listeners, wired as `cairn serve` wires them
 * (one {@link AuthThrottle} for both, the SQLite directory with its real Argon2id hashes).
 * Clients pick their source address on the loopback network: 127.0.0.1 guesses, 127.0.0.2 is
 * the real user elsewhere.
 */
class PasswordGuessingIT {
    static final String PASSWORD = "correct-horse-battery";
    static final int FLOOD = 240; // connections, half IMAP and half POP3

    @TempDir Path data;
    private final List<Closeable> closing = new ArrayList<>();
    private PasswordHasher hasher;
    /** Each password check the throttle let through to the directory: when, and from where. */
    private final ConcurrentLinkedQueue<Check> checks = new ConcurrentLinkedQueue<>();
    private int imapPort;
    private int pop3Port;

    record Check(long nanos, InetAddress remote, String user) {}

    private void start(AuthThrottle throttle) throws Exception {
        NodeConfig config = NodeConfig.defaults().withData(data);
        hasher = new PasswordHasher();
        SqliteDirectory directory = SqliteDirectory.open(data.resolve("directory.db"), Optional.empty(), hasher);
        closing.add(directory::close);
        directory.addUser(NewUser.of("alice", PASSWORD.toCharArray()));
        SlotStore store = RocksSlotStore.open(SlotConfig.defaults(data.resolve("slot")).withSync(false));
        closing.add(store::close);
        DirectoryAuthenticator real = new DirectoryAuthenticator(directory, new SimpleMeterRegistry());
        Authenticator counting = (authcid, password, authzid, remote, secure) -> {
            checks.add(new Check(System.nanoTime(), remote, authcid));
            return real.authenticate(authcid, password, authzid, remote, secure);
        };
        NodeServices services = new NodeServices(config, store, directory, new SimpleMeterRegistry(), Node.tlsContext(config),
                counting, throttle, new DirectoryRecipientResolver(directory, config.localDomains()), new MemoryBudget(config.limits().commandMemory()));
        Optional<ListenerConfig> imap = Optional.of(new ListenerConfig("imap", true, new ListenAddress("127.0.0.1", 0), false));
        Optional<ListenerConfig> pop3 = Optional.of(new ListenerConfig("pop3", true, new ListenAddress("127.0.0.1", 0), false));
        RunningListener imapListener = ProtocolListeners.imap(imap, Optional.empty(), services);
        closing.add(imapListener::close);
        RunningListener pop3Listener = ProtocolListeners.pop3(pop3, Optional.empty(), services);
        closing.add(pop3Listener::close);
        imapPort = imapListener.addresses().get("imap").getPort();
        pop3Port = pop3Listener.addresses().get("pop3").getPort();
    }

    @AfterEach
    void stop() {
        for (Closeable c : closing.reversed()) {
            try {
                c.close();
            } catch (IOException | RuntimeException ignored) {
                // the next one still closes
            }
        }
    }

    static InetAddress address(String s) throws IOException { return InetAddress.getByName(s); }

    private long checksFrom(InetAddress remote, long fromNanos, long toNanos) {
        return checks.stream().filter(c -> c.remote().equals(remote) && c.nanos() >= fromNanos && c.nanos() < toNanos).count();
    }

    @Test
    @Timeout(120)
    void parallelGuessingFromOneAddressOverImapAndPop3GuessesNoFasterThanOneConnection() throws Exception {
        // A fresh address gets one unpenalized guess per check slot (one per core by default):
        // two slots, as on a two-core node, so that the count below does not depend on the machine.
        AuthThrottle.Config twoChecks = AuthThrottle.Config.DEFAULT.withChecks(2, AuthThrottle.Config.DEFAULT.maxWait());
        start(new AuthThrottle(twoChecks, Clock.systemUTC(), AuthThrottle.Sleeper.REAL));
        InetAddress guesser = address("127.0.0.1");
        try (Flood flood = new Flood(guesser)) {
            long begin = System.nanoTime();
            flood.go();
            Thread.sleep(7_000); // the window measured, not a wait for something to happen
            long end = System.nanoTime();
            long guesses = checksFrom(guesser, begin, end);
            // One connection alone, guessing as fast as it may: at 0 s, after the 2 s penalty and
            // after the 4 s one (6 s), then 8 s later; so 3 in 7 s, 4 with some slack. The flood:
            // two at 0 s (one per check slot), then one after the 4 s penalty, then 8 s later: 3.
            assertThat(guesses).as("password checks from one address in 7 s over %d connections", FLOOD).isLessThanOrEqualTo(4);
            assertThat(flood.successes.get()).isZero();
        }
    }

    @Test
    @Timeout(120)
    void aCorrectLoginFromAnotherAddressDuringAGuessingFloodIsPrompt() throws Exception {
        start(new AuthThrottle());
        InetAddress guesser = address("127.0.0.1");
        InetAddress user = address("127.0.0.2");
        try (Flood flood = new Flood(guesser)) {
            flood.go();
            flood.firstReplies.await(60, TimeUnit.SECONDS); // the flood is on
            List<Long> millis = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                boolean imap = i % 2 == 0;
                long t0 = System.nanoTime();
                try (Client c = new Client(imap, user, imap ? imapPort : pop3Port)) {
                    String reply = c.login("alice", PASSWORD);
                    millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                    assertThat(reply).as("login %d", i).startsWith(imap ? "OK" : "+OK");
                    c.logout();
                }
            }
            assertThat(millis).as("each correct login from 127.0.0.2, ms, during a flood of %d connections", FLOOD)
                    .allMatch(ms -> ms < 2_000);
        }
    }

    @Test
    @Timeout(60)
    void anUnknownUserAndAWrongPasswordAreIndistinguishable() throws Exception {
        FakeClock clock = new FakeClock();
        List<Duration> waits = new CopyOnWriteArrayList<>();
        start(new AuthThrottle(AuthThrottle.Config.DEFAULT, clock, clock.sleeper(waits)));
        for (boolean imap : new boolean[] {true, false}) {
            List<String> replies = new ArrayList<>();
            List<List<Duration>> waited = new ArrayList<>();
            List<Long> hashes = new ArrayList<>();
            // fresh addresses for each, so that each starts unpenalized
            String[][] tries = imap ? new String[][] {{"127.0.0.3", "nobody"}, {"127.0.0.4", "alice"}}
                    : new String[][] {{"127.0.0.6", "nobody"}, {"127.0.0.7", "alice"}};
            for (String[] t : tries) {
                waits.clear();
                long before = hasher.verifications();
                try (Client c = new Client(imap, address(t[0]), imap ? imapPort : pop3Port)) {
                    for (int i = 0; i < 3; i++) replies.add(c.login(t[1], "wrong-" + i));
                }
                waited.add(List.copyOf(waits));
                hashes.add(hasher.verifications() - before);
            }
            assertThat(replies.subList(0, 3)).as("replies for an unknown user").isEqualTo(replies.subList(3, 6));
            assertThat(replies.getFirst()).startsWith(imap ? "NO [AUTHENTICATIONFAILED]" : "-ERR [AUTH]");
            assertThat(waited.get(0)).as("penalties for an unknown user").isEqualTo(waited.get(1))
                    .containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(4));
            assertThat(hashes).as("Argon2id checks: an unknown user costs a full (decoy) check too").containsExactly(3L, 3L);
        }
    }

    @Test
    @Timeout(60)
    void aFailureOverImapDelaysTheNextGuessOverPop3BeforeItsPasswordIsChecked() throws Exception {
        FakeClock clock = new FakeClock();
        List<String> events = new CopyOnWriteArrayList<>();
        start(new AuthThrottle(AuthThrottle.Config.DEFAULT, clock, d -> {
            events.add("wait " + d.toSeconds() + " s");
            clock.advance(d);
        }));
        InetAddress guesser = address("127.0.0.5");
        try (Client imap = new Client(true, guesser, imapPort); Client pop3 = new Client(false, guesser, pop3Port)) {
            assertThat(imap.login("alice", "guess-1")).startsWith("NO [AUTHENTICATIONFAILED]");
            events.add("imap checked " + checks.size());
            assertThat(pop3.login("alice", "guess-2")).startsWith("-ERR [AUTH]");
            events.add("pop3 checked " + checks.size());
        }
        assertThat(events).containsExactly("imap checked 1", "wait 2 s", "pop3 checked 2");
    }

    /** {@link #FLOOD} connections from one address, each guessing alice's password as fast as it is answered. */
    private final class Flood implements Closeable {
        final List<Client> clients = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        final CountDownLatch go = new CountDownLatch(1);
        final CountDownLatch firstReplies;
        final AtomicInteger successes = new AtomicInteger();
        volatile boolean stopping;

        Flood(InetAddress from) throws IOException {
            for (int i = 0; i < FLOOD; i++) {
                boolean imap = i % 2 == 0;
                clients.add(new Client(imap, from, imap ? imapPort : pop3Port));
            }
            firstReplies = new CountDownLatch(1);
            for (Client c : clients) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        for (int n = 0; !stopping; n++) {
                            String reply = c.login("alice", "guess-" + n);
                            firstReplies.countDown();
                            if (reply.startsWith("OK") || reply.startsWith("+OK")) successes.incrementAndGet();
                        }
                    } catch (IOException | InterruptedException e) {
                        // closed at the end of the test
                    }
                }));
            }
        }

        void go() { go.countDown(); }

        @Override public void close() throws IOException {
            stopping = true;
            for (Client c : clients) c.close();
            for (Thread t : threads) {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** One connection from a chosen source address, speaking just enough IMAP or POP3 to log in. */
    static final class Client implements Closeable {
        private final boolean imap;
        private final Socket socket = new Socket();
        private final BufferedReader in;
        private final OutputStream out;
        private int tag;

        Client(boolean imap, InetAddress from, int port) throws IOException {
            this.imap = imap;
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(90_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            String greeting = in.readLine();
            if (greeting == null || !greeting.startsWith(imap ? "* OK" : "+OK")) throw new IOException("greeting " + greeting);
        }

        /** One login attempt; the reply without the tag. */
        String login(String user, String password) throws IOException {
            if (!imap) return send("AUTH PLAIN " + Sasl.encodeBase64("\0" + user + "\0" + password), null);
            String t = "t" + ++tag;
            return send(t + " LOGIN " + user + " " + password, t);
        }

        void logout() throws IOException {
            send(imap ? "z LOGOUT" : "QUIT", imap ? "z" : null);
        }

        private String send(String line, String tagged) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                String reply = in.readLine();
                if (reply == null) throw new IOException("closed");
                if (tagged == null) return reply;
                if (reply.startsWith(tagged + " ")) return reply.substring(tagged.length() + 1);
            }
        }

        @Override public void close() throws IOException { socket.close(); }
    }
}
