// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.guess;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Password guessing against a server, as one attacker with many connections would: N
 * connections from one source address (half IMAP, half POP3) send wrong passwords for one
 * account as fast as they are answered, while a legitimate user logs in now and then from
 * another source address. Reports the password checks the server allowed per second (replies
 * that say the password was wrong, not the refusals of a throttle) and the legitimate logins'
 * latency. Sends only to the given host, for a bounded time; on loopback, pick the source
 * addresses in 127.0.0.0/8.
 */
@Command(name = "guess", mixinStandardHelpOptions = true,
        description = "Password guessing from many connections of one address; guesses/s allowed and a legitimate login's latency.")
public final class GuessingBench implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1") String host;
    @Option(names = "--imap-port", defaultValue = "1143") int imapPort;
    @Option(names = "--pop3-port", defaultValue = "1110", description = "0: IMAP only") int pop3Port;
    @Option(names = "--connections", defaultValue = "1500") int connections;
    @Option(names = "--attacker", defaultValue = "127.0.0.1", description = "source address of the guessing connections")
    String attacker;
    @Option(names = "--target", defaultValue = "alice", description = "the account guessed") String target;
    @Option(names = "--user-from", defaultValue = "127.0.0.2", description = "source address of the legitimate logins")
    String userFrom;
    @Option(names = "--user", defaultValue = "u%d", description = "legitimate users; %%d is 1..--logins, each logs in once")
    String userPattern;
    @Option(names = "--password", defaultValue = "secret", description = "the legitimate users' password") String password;
    @Option(names = "--logins", defaultValue = "20") int logins;
    @Option(names = "--duration", defaultValue = "60", description = "seconds of guessing measured") int seconds;
    @Option(names = "--warmup", defaultValue = "5", description = "seconds of guessing before the measurement") int warmup;
    @Option(names = "--metrics", description = "a Cairn node's /metrics URL: count the checks on the server side too "
            + "(cairn_auth_total{result=\"invalid_credentials\"}), which sees guesses whose replies are still delayed")
    String metrics;

    private final AtomicLong checked = new AtomicLong();   // "wrong password" replies
    private final AtomicLong refused = new AtomicLong();   // "try again later" replies
    private final AtomicLong accepted = new AtomicLong();  // a guess that logged in (should never happen)
    private volatile boolean measuring;
    private volatile boolean stopping;

    @Override
    public Integer call() throws Exception {
        InetAddress from = InetAddress.getByName(attacker);
        List<Client> clients = new ArrayList<>();
        int refusedAtConnect = 0;
        for (int i = 0; i < connections; i++) {
            boolean imap = pop3Port == 0 || i % 2 == 0;
            try {
                clients.add(new Client(imap, from, new InetSocketAddress(host, imap ? imapPort : pop3Port), 120_000));
            } catch (IOException e) {
                // The server's per-address connection caps: the attacker guesses with what it got.
                refusedAtConnect++;
            }
        }
        System.out.printf(Locale.ROOT, "%d connections open from %s (%d of %d refused at connect); guessing %s's password%n",
                clients.size(), attacker, refusedAtConnect, connections, target);
        List<Thread> threads = new ArrayList<>();
        for (Client c : clients) threads.add(Thread.ofVirtual().start(() -> guess(c)));
        Thread.sleep(warmup * 1000L);
        long checkedBefore = checked.get();
        long refusedBefore = refused.get();
        double serverBefore = serverChecks();
        long begin = System.nanoTime();
        measuring = true;
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        InetAddress user = InetAddress.getByName(userFrom);
        long spacing = seconds * 1_000_000_000L / Math.max(1, logins);
        for (int i = 1; i <= logins; i++) {
            long due = begin + (i - 1) * spacing;
            long wait = due - System.nanoTime();
            if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            long ms = legitimateLogin(user, userPattern.formatted(i));
            if (ms >= 0) latencies.add(ms);
        }
        long end = begin + seconds * 1_000_000_000L;
        long left = end - System.nanoTime();
        if (left > 0) Thread.sleep(left / 1_000_000);
        double elapsed = (System.nanoTime() - begin) / 1e9;
        long guesses = checked.get() - checkedBefore;
        long refusals = refused.get() - refusedBefore;
        double serverGuesses = serverChecks() - serverBefore;
        stopping = true;
        for (Client c : clients) c.close();
        for (Thread t : threads) t.join(5_000);

        List<Long> sorted = latencies.stream().sorted().toList();
        System.out.printf(Locale.ROOT, "measured %.1f s after %d s of warm-up%n", elapsed, warmup);
        System.out.printf(Locale.ROOT, "guesses checked: %d (%.2f/s, %.0f/day); refused unchecked: %d (%.1f/s); guesses that logged in: %d%n",
                guesses, guesses / elapsed, guesses / elapsed * 86_400, refusals, refusals / elapsed, accepted.get());
        if (metrics != null) {
            System.out.printf(Locale.ROOT, "guesses checked, counted by the server: %.0f (%.2f/s, %.0f/day)%n",
                    serverGuesses, serverGuesses / elapsed, serverGuesses / elapsed * 86_400);
        }
        System.out.printf(Locale.ROOT, "legitimate logins from %s (%d, each a new connection and a full password check): "
                        + "median %d ms, p99 %d ms, max %d ms; failed: %d%n",
                userFrom, logins, percentile(sorted, 50), percentile(sorted, 99), sorted.isEmpty() ? 0 : sorted.getLast(),
                logins - sorted.size());
        return 0;
    }

    /** Wrong passwords the server's directory has seen so far (0 without --metrics). */
    private double serverChecks() throws IOException, InterruptedException {
        if (metrics == null) return 0;
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create(metrics)).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith("cairn_auth_total{") && line.contains("result=\"invalid_credentials\"")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return 0;
        }
    }

    private void guess(Client c) {
        try {
            for (long n = 0; !stopping; n++) {
                String reply = c.login(target, "guess-" + Thread.currentThread().threadId() + "-" + n);
                if (reply.startsWith("OK") || reply.startsWith("+OK")) accepted.incrementAndGet();
                else if (reply.contains("[UNAVAILABLE]") || reply.contains("[SYS/TEMP]")) refused.incrementAndGet();
                else checked.incrementAndGet();
            }
        } catch (IOException e) {
            // closed at the end, or by the server
        }
    }

    /** Milliseconds from connect to the login's OK; -1 when it failed (and says why). */
    private long legitimateLogin(InetAddress from, String user) {
        long t0 = System.nanoTime();
        // a login that takes longer has failed for its user
        try (Client c = new Client(true, from, new InetSocketAddress(host, imapPort), 30_000)) {
            String reply = c.login(user, password);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (!reply.startsWith("OK")) {
                System.out.printf(Locale.ROOT, "login of %s after %d ms: %s%n", user, ms, reply);
                return -1;
            }
            c.logout();
            return ms;
        } catch (IOException e) {
            System.out.printf(Locale.ROOT, "login of %s after %d ms: %s%n", user, (System.nanoTime() - t0) / 1_000_000, e);
            return -1;
        }
    }

    private static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) return 0;
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.clamp(i, 0, sorted.size() - 1));
    }

    /** One connection from a chosen source address, speaking just enough IMAP or POP3 to log in. */
    private static final class Client implements Closeable {
        private final boolean imap;
        private final Socket socket = new Socket();
        private final BufferedReader in;
        private final OutputStream out;
        private int tag;

        Client(boolean imap, InetAddress from, InetSocketAddress server, int timeoutMillis) throws IOException {
            this.imap = imap;
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(server, timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            String greeting = in.readLine();
            if (greeting == null || !greeting.startsWith(imap ? "* OK" : "+OK")) {
                socket.close();
                throw new IOException("greeting: " + greeting);
            }
        }

        /** One login attempt (IMAP LOGIN, POP3 AUTH PLAIN); the reply without the tag. */
        String login(String user, String password) throws IOException {
            if (!imap) {
                String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
                return send("AUTH PLAIN " + plain, null);
            }
            String t = "g" + ++tag;
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
                if (reply == null) throw new IOException("closed by the server");
                if (tagged == null) return reply;
                if (reply.startsWith(tagged + " ")) return reply.substring(tagged.length() + 1);
            }
        }

        @Override public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
