// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.fairness;

import dev.cairn.bench.Endpoint;
import dev.cairn.bench.Histogram;
import dev.cairn.bench.LoadOptions;
import dev.cairn.imap.client.ImapClient;
import dev.cairn.imap.client.ImapProtocolException;
import dev.cairn.imap.client.ImapResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Whether one user's expensive commands cost everyone else (issue 15): attacker users run the
 * most expensive LIST, SEARCH, THREAD and FETCH they can build, in loops, over COMPRESS, while a
 * victim user logs in, selects and fetches in a loop. The figure is the victim's latency per
 * loop: an IMAP server that keeps its users apart shows it flat whatever the attackers do.
 */
@Command(name = "fairness", mixinStandardHelpOptions = true,
        description = {"Attackers run the costliest LIST/SEARCH/THREAD/FETCH they can build, in loops;",
            "a victim logs in, selects and fetches in a loop; prints the victim's latency per loop.",
            "The first run fills the attackers' and the victim's INBOX (skipped when they hold mail)."})
public final class FairnessBench implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1") String host;
    @Option(names = "--port", defaultValue = "143") int port;
    @Option(names = "--attackers", defaultValue = "a1,a2", split = ",", description = "attacking users (default: ${DEFAULT-VALUE})")
    List<String> attackers;
    @Option(names = "--victim", defaultValue = "v1", description = "the user measured (default: ${DEFAULT-VALUE})") String victim;
    @Option(names = "--password", defaultValue = "secret", description = "everyone's password (default: ${DEFAULT-VALUE})")
    String password;
    @Option(names = "--connections", defaultValue = "2", description = "connections per attacker (default: ${DEFAULT-VALUE})")
    int connections;
    @Option(names = "--duration", defaultValue = "60s", converter = LoadOptions.DurationConverter.class,
            description = "how long the victim is measured (default: ${DEFAULT-VALUE})") Duration duration;
    @Option(names = "--warmup", defaultValue = "5s", converter = LoadOptions.DurationConverter.class,
            description = "attack before the victim starts (default: ${DEFAULT-VALUE})") Duration warmup;
    @Option(names = "--messages", defaultValue = "300", description = "text messages in an attacker's INBOX (default: ${DEFAULT-VALUE})")
    int messages;
    @Option(names = "--message-size", defaultValue = "65536", description = "bytes per text message (default: ${DEFAULT-VALUE})")
    int messageSize;
    @Option(names = "--references", defaultValue = "20000", description = "Message-IDs in the References of each thread bomb (default: ${DEFAULT-VALUE})")
    int references;
    @Option(names = "--thread-bombs", defaultValue = "5", description = "messages with huge References per attacker (default: ${DEFAULT-VALUE})")
    int threadBombs;
    @Option(names = "--name-length", defaultValue = "990", description = "length of the attackers' mailbox name (default: ${DEFAULT-VALUE})")
    int nameLength;
    @Option(names = "--stars", defaultValue = "12", description = "'*' wildcards in the attackers' LIST pattern (default: ${DEFAULT-VALUE})")
    int stars;
    @Option(names = "--compress", defaultValue = "true", negatable = true, description = "attackers use COMPRESS=DEFLATE (default: ${DEFAULT-VALUE})")
    boolean compress;

    /** What happened to one kind of attacking command. */
    private static final class Tally {
        long done, ok, limit, refused, dropped, micros;
    }

    private final Map<String, Tally> tallies = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Set<ImapClient> open = ConcurrentHashMap.newKeySet();
    private volatile boolean stop;

    @Override
    public Integer call() throws Exception {
        Endpoint endpoint = new Endpoint(host, port, Endpoint.Tls.NONE, false, duration.plus(warmup).plusMinutes(2));
        PrintStream err = System.err;
        err.println("setting up " + attackers + " and " + victim + "...");
        for (String a : attackers) fillAttacker(endpoint, a);
        fillVictim(endpoint);
        List<String> commands = List.of(
                "LIST \"\" \"" + "*".repeat(stars) + "b\"",
                "SEARCH TEXT \"absent-zq-needle\"",
                "THREAD REFERENCES UTF-8 ALL",
                "FETCH 1:* (BODY.PEEK[])");
        for (String c : commands) tallies.put(c, new Tally());
        List<Thread> threads = new ArrayList<>();
        int n = 0;
        for (String a : attackers) {
            for (int i = 0; i < connections; i++) {
                int offset = n++;
                threads.add(Thread.ofPlatform().name("attacker-" + a + "-" + i).start(() -> attack(endpoint, a, commands, offset)));
            }
        }
        err.println("attacking for " + warmup.toSeconds() + " s, then measuring " + victim + " for " + duration.toSeconds() + " s...");
        Thread.sleep(warmup.toMillis());
        Histogram loops = new Histogram();
        long[] unfinished = {-1};
        long[] failures = {0};
        AtomicReference<ImapClient> current = new AtomicReference<>();
        Thread measured = Thread.ofPlatform().name("victim").start(() -> measure(endpoint, loops, unfinished, failures, current));
        measured.join(duration.toMillis());
        stop = true;
        ImapClient v = current.get();
        if (v != null) v.close();
        measured.join();
        for (ImapClient c : open) c.close();
        for (Thread t : threads) t.join(10_000);
        print(System.out, loops, unfinished[0], failures[0], commands.size());
        return 0;
    }

    /** Loops slower than this are listed one by one, step by step. */
    private static final long SLOW_MICROS = 1_000_000;
    private final List<String> slow = Collections.synchronizedList(new ArrayList<>());

    private void measure(Endpoint endpoint, Histogram loops, long[] unfinished, long[] failures, AtomicReference<ImapClient> current) {
        long start = System.nanoTime();
        while (!stop) {
            long t0 = System.nanoTime();
            long[] steps = new long[5];
            try (ImapClient c = endpoint.openImap()) {
                current.set(c);
                steps[0] = System.nanoTime();
                ok(c.login(victim, password));
                steps[1] = System.nanoTime();
                ok(c.execute("SELECT INBOX"));
                steps[2] = System.nanoTime();
                ok(c.execute("FETCH 1:10 (FLAGS ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])"));
                steps[3] = System.nanoTime();
                c.execute("LOGOUT");
                steps[4] = System.nanoTime();
                long micros = (steps[4] - t0) / 1000;
                loops.record(micros);
                if (micros >= SLOW_MICROS) {
                    slow.add(String.format(Locale.ROOT, "at +%.1f s: %.0f ms (connect %.0f, LOGIN %.0f, SELECT %.0f, FETCH %.0f, LOGOUT %.0f)",
                            (t0 - start) / 1e9, micros / 1e3, (steps[0] - t0) / 1e6, (steps[1] - steps[0]) / 1e6,
                            (steps[2] - steps[1]) / 1e6, (steps[3] - steps[2]) / 1e6, (steps[4] - steps[3]) / 1e6));
                }
            } catch (IOException | RuntimeException e) {
                if (stop) {
                    unfinished[0] = (System.nanoTime() - t0) / 1000;
                } else {
                    failures[0]++;
                }
            }
        }
    }

    private static void ok(ImapClient.Result r) throws ImapProtocolException {
        if (!r.ok()) throw new ImapProtocolException("refused: " + r.tagged());
    }

    private void attack(Endpoint endpoint, String user, List<String> commands, int offset) {
        int next = offset;
        while (!stop) {
            String command = commands.get(next % commands.size());
            try (ImapClient c = endpoint.openImap()) {
                open.add(c);
                ok(c.login(user, password));
                if (compress) c.compress();
                ok(c.execute("SELECT INBOX"));
                while (!stop) {
                    command = commands.get(next++ % commands.size());
                    long t0 = System.nanoTime();
                    ImapClient.Result r = c.execute(command);
                    long micros = (System.nanoTime() - t0) / 1000;
                    ImapResponse.Tagged t = r.tagged();
                    Tally tally = tallies.get(command);
                    synchronized (tally) {
                        tally.done++;
                        tally.micros += micros;
                        if (r.ok()) tally.ok++;
                        else if (t.code() != null && t.code().name().equals("LIMIT")) tally.limit++;
                        else tally.refused++;
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (!stop) {
                    Tally tally = tallies.get(command);
                    synchronized (tally) {
                        tally.dropped++;
                    }
                    next++;
                    pause(); // the server dropped us or does not answer: do not spin on reconnecting
                }
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void print(PrintStream out, Histogram loops, long unfinished, long failures, int kinds) {
        out.printf(Locale.ROOT, "victim %s: %d loops (connect, LOGIN, SELECT INBOX, FETCH 1:10, LOGOUT) in %d s, %d failed%n",
                victim, loops.count(), duration.toSeconds(), failures);
        if (loops.count() > 0) {
            out.printf(Locale.ROOT, "  latency per loop: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    loops.percentile(0.50) / 1000.0, loops.percentile(0.90) / 1000.0, loops.percentile(0.99) / 1000.0,
                    loops.max() / 1000.0);
        }
        if (unfinished >= 0) out.printf(Locale.ROOT, "  one loop still waiting at the end, for %.1f ms%n", unfinished / 1000.0);
        for (String s : slow) out.println("  slow loop " + s);
        out.printf(Locale.ROOT, "attackers %s, %d connections each%s:%n", attackers, connections, compress ? ", COMPRESS=DEFLATE" : "");
        out.printf(Locale.ROOT, "  %-40s %7s %7s %9s %9s %8s %10s%n", "command", "done", "OK", "NO LIMIT", "other", "dropped", "mean ms");
        for (Map.Entry<String, Tally> e : tallies.entrySet()) {
            Tally t = e.getValue();
            String name = e.getKey().length() > 40 ? e.getKey().substring(0, 37) + "..." : e.getKey();
            out.printf(Locale.ROOT, "  %-40s %7d %7d %9d %9d %8d %10.1f%n", name, t.done, t.ok, t.limit, t.refused, t.dropped,
                    t.done == 0 ? 0.0 : t.micros / 1000.0 / t.done);
        }
    }

    // ---- the attackers' and the victim's mail ----

    private void fillAttacker(Endpoint endpoint, String user) throws IOException {
        try (ImapClient c = endpoint.openImap()) {
            ok(c.login(user, password));
            c.execute("CREATE " + "a".repeat(nameLength));
            if (exists(c) > 0) return;
            Random random = new Random(user.hashCode());
            for (int i = 0; i < messages; i++) ok(c.append("INBOX", "", textMessage(random, user, i, messageSize)));
            for (int k = 0; k < threadBombs; k++) ok(c.append("INBOX", "", threadBomb(user, k)));
        }
    }

    private void fillVictim(Endpoint endpoint) throws IOException {
        try (ImapClient c = endpoint.openImap()) {
            ok(c.login(victim, password));
            if (exists(c) > 0) return;
            Random random = new Random(1);
            for (int i = 0; i < 20; i++) ok(c.append("INBOX", "", textMessage(random, victim, i, 4096)));
        }
    }

    private static long exists(ImapClient c) throws IOException {
        ImapClient.Result r = c.execute("SELECT INBOX");
        ok(r);
        for (ImapResponse u : r.untagged()) if (u instanceof ImapResponse.Exists e) return e.count();
        return 0;
    }

    private static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"};

    private static byte[] textMessage(Random random, String user, int i, int size) {
        StringBuilder m = new StringBuilder("From: sender" + i + "@example.org\r\nTo: " + user + "@example.org\r\nSubject: Re: note "
                + (i % 37) + "\r\nMessage-ID: <m" + i + "." + user + "@bench>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\n");
        StringBuilder line = new StringBuilder();
        while (m.length() < size) {
            line.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
            if (line.length() > 70) {
                m.append(line).append("\r\n");
                line.setLength(0);
            }
        }
        return m.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A message whose References hold {@code references} ids: a chain that deep for THREAD. */
    private byte[] threadBomb(String user, int k) {
        StringBuilder m = new StringBuilder("From: bomb@example.org\r\nSubject: chain " + k + "\r\nMessage-ID: <bomb" + k + "." + user
                + "@bench>\r\nReferences:");
        for (int i = 0; i < references; i++) {
            m.append(" <r").append(k).append('-').append(i).append('@').append(user).append(".bench>");
            if (i % 8 == 7) m.append("\r\n");
        }
        m.append("\r\n\r\nhello\r\n");
        return m.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
