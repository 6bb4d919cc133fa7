// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.ConnectionLimits;
import dev.cairn.protocol.MemoryBudget;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client can make the server spend before and around login (issue 15): each attack as a
 * client would run it, against a real server in this JVM, and the budget that stops it.
 */
class ResourceBudgetIT {
    @TempDir Path dir;

    /**
     * 30 connections that never log in send literals: APPEND and other commands, synchronizing and
     * not. Before the fix the reader took up to 1,000 literals of 256 KiB per command before it
     * looked at the state (OutOfMemoryError with 30 such clients) and spooled larger ones to disk.
     * Now each gets a tagged NO or BAD at the first literal; nothing is held and nothing spooled.
     */
    @Test @Timeout(120)
    void aPreLoginLiteralFloodDoesNotGrowTheHeapOrSpool() throws Exception {
        int literalsPerClient = 40;
        try (TestImapServer server = new TestImapServer(dir.resolve("s"));
             var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            long before = usedHeapAfterGc();
            record Client(String command, int size, boolean nonSync) {}
            List<Client> kinds = List.of(
                    new Client("a APPEND INBOX", 262_144, true),  // in memory in the old code
                    new Client("a LOGIN", 65_536, true),          // LOGIN takes literals, but small ones
                    new Client("a APPEND INBOX", 262_145, false), // spooled to disk in the old code
                    new Client("a SELECT", 65_536, false));
            List<Future<List<String>>> answers = new ArrayList<>();
            List<Socket> sockets = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 30; i++) {
                Client k = kinds.get(i % kinds.size());
                answers.add(pool.submit(() -> {
                    Socket s = connect(server.port(), "127.0.0.1");
                    sockets.add(s);
                    return flood(s, k.command(), k.size(), k.nonSync(), literalsPerClient);
                }));
            }
            List<List<String>> got = new ArrayList<>();
            for (Future<List<String>> f : answers) got.add(f.get());
            // the old code holds every literal of the unfinished commands now; the new one nothing
            long grown = usedHeapAfterGc() - before;
            System.out.printf("pre-login literal flood, 30 connections: heap grew %.1f MiB%n", grown / 1048576.0);
            for (int i = 0; i < got.size(); i++) {
                List<String> lines = got.get(i);
                Client k = kinds.get(i % kinds.size());
                String expected = k.command().startsWith("a LOGIN") ? "a BAD [TOOBIG] Literal too large"
                        : "a NO [CLIENTBUG] Log in first; before login only LOGIN takes literals";
                assertThat(lines).as("client %d (%s)", i, k).isNotEmpty();
                assertThat(lines.getFirst()).as("client %d (%s): %s", i, k, lines).isEqualTo(expected);
                if (k.nonSync()) assertThat(lines).as("client %d", i).contains("<closed>").anyMatch(l -> l.startsWith("* BYE "));
            }
            assertThat(grown).as("heap growth in octets").isLessThan(64L << 20);
            Path spool = server.dir.resolve("spool");
            if (Files.exists(spool)) {
                try (var files = Files.list(spool)) {
                    assertThat(files.toList()).as("nothing spooled before login").isEmpty();
                }
            }
            for (Socket s : sockets) s.close();
        }
    }

    /**
     * Sends the command with a literal, then more literals, as the attack did: non-synchronizing
     * ones all at once, synchronizing ones only while the server says "+". Never the final CRLF.
     * Returns the server's lines ("&lt;closed&gt;" at the end when it closed the connection).
     */
    private static List<String> flood(Socket s, String command, int size, boolean nonSync, int literals) throws Exception {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        assertThat(readLine(in)).startsWith("* OK");
        byte[] literal = new byte[size];
        Arrays.fill(literal, (byte) 'x');
        String marker = "{" + size + (nonSync ? "+}" : "}") + "\r\n";
        List<String> lines = new ArrayList<>();
        if (nonSync) {
            try (var reader = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<?> reading = reader.submit(() -> readUntilClosed(in, lines));
                try {
                    out.write((command + " " + marker).getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < literals; i++) {
                        out.write(literal);
                        if (i < literals - 1) out.write((" " + marker).getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                } catch (IOException closedOnUs) {
                    // the server closed the connection: the point of the exercise
                }
                s.setSoTimeout(3000); // the old code keeps waiting for the rest of the command
                reading.get();
            }
            return lines;
        }
        out.write((command + " " + marker).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        for (int i = 0; i < literals; i++) {
            String line = readLine(in);
            if (line == null || !line.startsWith("+")) {
                lines.add(line == null ? "<closed>" : line);
                break;
            }
            out.write(literal);
            if (i < literals - 1) out.write((" " + marker).getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        if (lines.isEmpty()) return lines; // the old code took them all
        out.write("b LOGOUT\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        readUntilClosed(in, lines);
        return lines;
    }

    /**
     * 10,000 connections from 127.0.0.1 against the default per-address limits (1,000 connections,
     * 250 of them not logged in): the 251st pre-login connection and every later one is refused
     * with BYE [UNAVAILABLE], 127.0.0.2 still logs in, and once logged in 127.0.0.1 may hold up to
     * 1,000. The attack itself used 10,050 connections against max_connections = 10,000; at most
     * 1,001 are open at once here (about 2,000 file descriptors for client and server together).
     */
    @Test @Timeout(300)
    void tenThousandConnectionsFromOneAddressLeaveRoomForAnother() throws Exception {
        ConnectionLimits limits = ConnectionLimits.DEFAULT;
        int preAuth = limits.maxPreAuthPerAddress();
        try (TestImapServer server = new TestImapServer(dir.resolve("s"), ImapConfig.Limits.DEFAULT.withConnectionLimits(limits))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < preAuth; i++) {
                    Socket s = connect(server.port(), "127.0.0.1");
                    held.add(s);
                    assertThat(readLine(s.getInputStream())).as("pre-login connection %d", i + 1).startsWith("* OK");
                }
                int attempts = preAuth;
                for (; attempts < 10_000; attempts++) {
                    try (Socket s = connect(server.port(), "127.0.0.1")) {
                        String line = readLine(s.getInputStream());
                        assertThat(line).as("connection %d from one address", attempts + 1)
                                .isEqualTo("* BYE [UNAVAILABLE] Too many connections, try again later");
                    }
                }
                try (Socket other = connect(server.port(), "127.0.0.2")) {
                    InputStream in = other.getInputStream();
                    assertThat(readLine(in)).startsWith("* OK");
                    send(other, "a LOGIN other pw-other\r\n");
                    assertThat(readLine(in)).startsWith("a OK");
                }
                // logged-in connections no longer count as pre-login: up to 1,000 in all
                for (Socket s : held) send(s, "a LOGIN flood pw-flood\r\n");
                for (Socket s : held) assertThat(readLine(s.getInputStream())).startsWith("a OK");
                while (held.size() < limits.maxPerAddress()) {
                    Socket s = connect(server.port(), "127.0.0.1");
                    held.add(s);
                    InputStream in = s.getInputStream();
                    assertThat(readLine(in)).as("connection %d from one address, the others logged in", held.size()).startsWith("* OK");
                    send(s, "a LOGIN flood pw-flood\r\n");
                    assertThat(readLine(in)).startsWith("a OK");
                }
                try (Socket s = connect(server.port(), "127.0.0.1")) {
                    assertThat(readLine(s.getInputStream())).as("connection %d from one address", limits.maxPerAddress() + 1)
                            .isEqualTo("* BYE [UNAVAILABLE] Too many connections, try again later");
                }
            } finally {
                for (Socket s : held) s.close();
            }
        }
    }

    /** A client that sends one octet every 250 ms never hits the idle timeout (1 s); the login deadline (2 s) ends it. */
    @Test @Timeout(60)
    void aClientTricklingOctetsIsClosedAtTheLoginDeadline() throws Exception {
        ImapConfig.Limits limits = ImapConfig.Limits.DEFAULT
                .withTimeouts(Duration.ofSeconds(1), Duration.ofMinutes(30), Duration.ofMinutes(60))
                .withConnectionLimits(new ConnectionLimits(1000, 250, Duration.ofSeconds(2)));
        try (TestImapServer server = new TestImapServer(dir.resolve("s"), limits);
             Socket s = connect(server.port(), "127.0.0.1")) {
            long start = System.nanoTime();
            InputStream in = s.getInputStream();
            assertThat(readLine(in)).startsWith("* OK");
            s.setSoTimeout(100);
            String answer = null;
            try {
                while (System.nanoTime() - start < Duration.ofSeconds(8).toNanos()) {
                    s.getOutputStream().write('x');
                    s.getOutputStream().flush();
                    try {
                        answer = readLine(in);
                        break;
                    } catch (SocketTimeoutException quiet) {
                        Thread.sleep(150);
                    }
                }
            } catch (SocketException closed) {
                answer = "<closed>";
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            System.out.printf("trickling client: closed after %d ms%n", took.toMillis());
            assertThat(answer).as("after %s", took).isEqualTo("* BYE Autologout; no login within 2 seconds");
            assertThat(took).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(4));
            s.setSoTimeout(5000);
            assertThat(readLine(in)).as("closed after the BYE").isNull();
        }
    }

    /**
     * About 1 MB of DEFLATE that inflates to a 1 GiB command line: refused at the 64 KiB line
     * limit, having inflated little more than that. The old code inflated all of it to find the
     * line's end (16 s of CPU on this machine).
     */
    @Test @Timeout(120)
    void aCompressBombIsRefusedAtTheLineLimit() throws Exception {
        byte[] bomb = deflateBomb("c NOOP ", 1 << 30);
        assertThat(bomb.length).isLessThan(2 << 20);
        try (TestImapServer server = new TestImapServer(dir.resolve("s"));
             Socket s = connect(server.port(), "127.0.0.1");
             var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            InputStream in = s.getInputStream();
            assertThat(readLine(in)).startsWith("* OK");
            send(s, "a LOGIN bomb pw-bomb\r\nb COMPRESS DEFLATE\r\n");
            assertThat(readLine(in)).startsWith("a OK");
            assertThat(readLine(in)).isEqualTo("b OK DEFLATE active");
            InflaterInputStream zin = new InflaterInputStream(in, new java.util.zip.Inflater(true));
            List<String> lines = new ArrayList<>();
            long cpuBefore = processCpuNanos();
            long start = System.nanoTime();
            Future<?> reading = pool.submit(() -> readUntilClosed(zin, lines));
            try {
                s.getOutputStream().write(bomb);
                s.getOutputStream().flush();
            } catch (IOException closedOnUs) {
                // refused before the client finished sending
            }
            reading.get();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            Duration cpu = Duration.ofNanos(processCpuNanos() - cpuBefore);
            System.out.printf("COMPRESS bomb of %d octets: answered in %d ms, %d ms of CPU (whole JVM)%n",
                    bomb.length, took.toMillis(), cpu.toMillis());
            assertThat(lines).as("after %s", took).startsWith("c BAD [TOOBIG] Command line too long",
                    "* BYE Cannot continue after a line cut short in compressed input");
            assertThat(cpu).as("CPU spent by the whole test JVM while the bomb was sent").isLessThan(Duration.ofSeconds(3));
        }
    }

    /**
     * A node budget of 100,000 octets: with 60,000 held by one command in flight, a second command
     * bringing the total to limit-1 gets its continuation, a third one that would bring it to
     * limit+1 gets NO [UNAVAILABLE] instead; an APPEND goes to the spool file instead; when the
     * second command ends, the third is taken.
     */
    @Test @Timeout(60)
    void theNodeMemoryBudgetRefusesTheCommandThatWouldExceedIt() throws Exception {
        int budget = 100_000;
        try (TestImapServer server = new TestImapServer(dir.resolve("s"), ImapConfig.Limits.DEFAULT, new MemoryBudget(budget));
             Conversation first = new Conversation(server.port());
             Conversation second = new Conversation(server.port());
             Conversation third = new Conversation(server.port());
             Conversation appender = new Conversation(server.port())) {
            for (Conversation c : List.of(first, second, third, appender)) c.run("C: a LOGIN budget pw-budget\nS~ a OK .*");
            first.run("C: b CREATE {60000}\nS: + OK");
            second.run("C: b CREATE {" + (budget - 60_000 - 1) + "}\nS: + OK");
            third.run("C: b CREATE {2}\nS: b NO [UNAVAILABLE] Server busy with other large commands; try again later");
            appender.run("C: b APPEND INBOX {50000}\nS: + OK");
            appender.send("x".repeat(50_000) + "\r\n");
            appender.run("S~ b OK \\[APPENDUID .*");
            second.send("y".repeat(budget - 60_000 - 1) + "\r\n");
            second.run("S~ b (OK|NO|BAD) .*");
            third.run("C: c CREATE {2}\nS: + OK\nC: zz\nS~ c OK .*CREATE completed");
            first.send("z".repeat(60_000) + "\r\n");
            first.run("S~ b (OK|NO|BAD) .*");
            assertThat(server.server.memory().used()).as("all given back").isZero();
        }
    }

    /** One command may hold 70,000 octets here: literals up to limit-1 are taken, the one reaching limit+1 gets NO [LIMIT]. */
    @Test @Timeout(60)
    void oneCommandsMemoryIsCappedPerConnection() throws Exception {
        int cap = 70_000;
        try (TestImapServer server = new TestImapServer(dir.resolve("s"), ImapConfig.Limits.DEFAULT.withMaxCommandMemory(cap));
             Conversation c = new Conversation(server.port())) {
            c.run("C: a LOGIN cap pw-cap\nS~ a OK .*\nC: b SETACL {60000}\nS: + OK");
            c.send("x".repeat(60_000) + " {" + (cap - 60_000 - 1) + "}\r\n");
            c.run("S: + OK");
            c.send("y".repeat(cap - 60_000 - 1) + " {2}\r\n");
            c.run("S: b NO [LIMIT] Command too large (70000 octets in memory at most)\nC: c NOOP\nS: c OK NOOP completed");
        }
    }

    // ---- helpers ----

    private static Socket connect(int port, String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(20_000);
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** The next line without CRLF, or null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') line.write(b);
        if (b < 0 && line.size() == 0) return null;
        return line.toString(StandardCharsets.US_ASCII).stripTrailing();
    }

    /** Adds each line to {@code lines} until the server closes ("&lt;closed&gt;") or goes silent ("&lt;silent&gt;"). */
    private static Void readUntilClosed(InputStream in, List<String> lines) {
        try {
            String line;
            while ((line = readLine(in)) != null) lines.add(line);
            lines.add("<closed>");
        } catch (SocketTimeoutException e) {
            lines.add("<silent>");
        } catch (IOException e) {
            lines.add("<closed>"); // reset: the server closed with input unread
        }
        return null;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Raw DEFLATE of {@code prefix}, {@code size} octets of 'a' and CRLF. Deflating a GiB would take
     * seconds, so one MiB is deflated until its compressed form repeats (the window is then all
     * 'a' and the block byte-aligned by the sync flush), and that form is repeated.
     */
    private static byte[] deflateBomb(String prefix, long size) throws IOException {
        int mib = 1 << 20;
        byte[] block = new byte[mib];
        Arrays.fill(block, (byte) 'a');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        DeflaterOutputStream z = new DeflaterOutputStream(out, deflater, 64 * 1024, true);
        z.write(prefix.getBytes(StandardCharsets.US_ASCII));
        long written = 0;
        byte[] previous = null;
        byte[] repeating = null;
        while (written < size && repeating == null) {
            int start = out.size();
            z.write(block);
            z.flush(); // sync flush
            written += mib;
            byte[] chunk = Arrays.copyOfRange(out.toByteArray(), start, out.size());
            if (previous != null && Arrays.equals(previous, chunk)) repeating = chunk;
            previous = chunk;
        }
        if (repeating == null) throw new AssertionError("deflate output did not repeat");
        for (; written < size; written += mib) out.write(repeating);
        // the repeated blocks left the deflater's window as it was after the last real one
        z.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        z.flush();
        return out.toByteArray();
    }
}
