// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.idle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What an idle IMAP connection costs the server: opens connections in steps (each logs in,
 * selects INBOX and enters IDLE), and at each step forces a full GC in the server process and
 * reads its live heap (jcmd GC.heap_info) and its RSS (/proc/PID/status). The figure that
 * matters is the slope between two steps: bytes per additional idle connection.
 */
@Command(name = "idle", mixinStandardHelpOptions = true,
        description = "Memory per idle IMAP connection: open N connections in IDLE, measure the server's heap and RSS.")
public final class IdleConnectionsBench implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1") String host;
    @Option(names = "--port", defaultValue = "1143") int port;
    @Option(names = "--user", defaultValue = "u%d", description = "user pattern; %%d is 1..--users") String userPattern;
    @Option(names = "--users", defaultValue = "10") int users;
    @Option(names = "--password", defaultValue = "secret") String password;
    @Option(names = "--levels", defaultValue = "1000,10000", split = ",",
            description = "connection counts at which to measure, ascending") List<Integer> levels;
    @Option(names = "--pid", required = true, description = "the server's process id (heap via jcmd, RSS via /proc)") long pid;
    @Option(names = "--jvm", defaultValue = "true", negatable = true,
            description = "the server is a JVM: measure its heap with jcmd (off for Dovecot and other servers)") boolean jvm;
    @Option(names = "--parallel", defaultValue = "32", description = "connections being set up at once") int parallel;
    @Option(names = "--select", defaultValue = "INBOX") String mailbox;
    @Option(names = "--hold", defaultValue = "0",
            description = "seconds to keep the connections open after the last step (to inspect the server)") int holdSeconds;

    private final List<Socket> open = new ArrayList<>();

    public record Sample(int connections, long heapBytes, long rssBytes) {}

    @Override
    public Integer call() throws Exception {
        List<Sample> samples = new ArrayList<>();
        samples.add(measure(0));
        System.out.printf(Locale.ROOT, "%12s %14s %14s%n", "connections", "heap used", "RSS");
        print(samples.getFirst());
        try {
            for (int level : levels) {
                openUpTo(level);
                Thread.sleep(2000); // let the server settle: sessions parked in IDLE
                Sample s = measure(level);
                samples.add(s);
                print(s);
            }
            System.out.println();
            for (int i = 1; i < samples.size(); i++) {
                Sample a = samples.get(i - 1), b = samples.get(i);
                int n = b.connections() - a.connections();
                if (n <= 0) continue;
                System.out.printf(Locale.ROOT, "slope %d -> %d: heap %.1f KiB/connection, RSS %.1f KiB/connection%n",
                        a.connections(), b.connections(),
                        (b.heapBytes() - a.heapBytes()) / 1024.0 / n, (b.rssBytes() - a.rssBytes()) / 1024.0 / n);
            }
            Thread.sleep(holdSeconds * 1000L);
        } finally {
            for (Socket s : open) {
                try { s.close(); } catch (IOException ignored) { /* closing */ }
            }
        }
        return 0;
    }

    private void print(Sample s) {
        System.out.printf(Locale.ROOT, "%12d %11.1f MiB %11.1f MiB%n", s.connections(),
                s.heapBytes() / 1048576.0, s.rssBytes() / 1048576.0);
    }

    private void openUpTo(int level) throws Exception {
        int toOpen = level - open.size();
        if (toOpen <= 0) return;
        Semaphore gate = new Semaphore(parallel);
        ConcurrentLinkedQueue<Socket> opened = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger(open.size());
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < toOpen; i++) {
                gate.acquire();
                int n = next.getAndIncrement();
                pool.submit(() -> {
                    try {
                        opened.add(openIdle(n));
                    } catch (Exception e) {
                        failures.add(e.toString());
                    } finally {
                        gate.release();
                    }
                });
            }
        }
        open.addAll(opened);
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " connections failed, first: " + failures.peek());
        }
    }

    private Socket openIdle(int n) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), 30_000);
        socket.setSoTimeout(120_000);
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII), 512);
        expect(reader, "* OK");
        String user = String.format(Locale.ROOT, userPattern, 1 + n % users);
        command(out, reader, "a", "LOGIN \"" + user + "\" \"" + password + "\"");
        command(out, reader, "b", "SELECT " + mailbox);
        out.write("c IDLE\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        expect(reader, "+");
        return socket;
    }

    private static void command(OutputStream out, BufferedReader reader, String tag, String command) throws IOException {
        out.write((tag + " " + command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith(tag + " ")) {
                if (!line.startsWith(tag + " OK")) throw new IOException(command.split(" ")[0] + " failed: " + line);
                return;
            }
        }
        throw new IOException("connection closed during " + command.split(" ")[0]);
    }

    private static void expect(BufferedReader reader, String prefix) throws IOException {
        String line = reader.readLine();
        if (line == null || !line.startsWith(prefix)) throw new IOException("expected " + prefix + ", got " + line);
    }

    private Sample measure(int connections) throws IOException, InterruptedException {
        long heap = -1;
        if (jvm) {
            jcmd("GC.run");
            Thread.sleep(500);
            jcmd("GC.run");
            heap = parseHeapUsed(jcmd("GC.heap_info"));
        }
        return new Sample(connections, heap, rss());
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("jcmd " + command + " failed: " + out);
        return out;
    }

    /**
     * The heap line of GC.heap_info: "garbage-first heap   total 262144K, used 10240K" before
     * JDK 25, "... total reserved 6172672K, committed 98304K, used 29285K" since; the serial and
     * parallel collectors (a node's and a proxy's, as ./cairn starts them) have no heap line but
     * one per generation ("DefNew total 161344K, used 36K", "Tenured total ...": their sum).
     */
    static long parseHeapUsed(String heapInfo) {
        Matcher m = Pattern.compile("heap\\s+total[^\\n]*?used (\\d+)K").matcher(heapInfo);
        if (m.find()) return Long.parseLong(m.group(1)) * 1024;
        Matcher generation = Pattern.compile("(?:DefNew|Tenured|PSYoungGen|ParOldGen)\\s+total[^\\n\\[]*?used (\\d+)K").matcher(heapInfo);
        long used = 0;
        boolean found = false;
        while (generation.find()) {
            used += Long.parseLong(generation.group(1)) * 1024;
            found = true;
        }
        if (!found) throw new IllegalStateException("no heap usage in: " + heapInfo);
        return used;
    }

    private long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        }
        throw new IOException("no VmRSS for process " + pid);
    }
}
