// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several sessions of one user append, flag, move and expunge in one mailbox while others IDLE.
 * Each session keeps the model a client keeps (MSN -> UID, flags) from what the server tells it,
 * and checks it never breaks: no MSN beyond EXISTS, no UID changing under an MSN, no flag update lost.
 */
class ConcurrentSessionsIT {
    @TempDir Path dir;

    private static final Pattern EXISTS = Pattern.compile("\\* (\\d+) EXISTS");
    private static final Pattern EXPUNGE = Pattern.compile("\\* (\\d+) EXPUNGE");
    private static final Pattern FETCH = Pattern.compile("\\* (\\d+) FETCH \\((.*)\\)");
    private static final Pattern UID = Pattern.compile("UID (\\d+)");
    private static final Pattern FLAGS = Pattern.compile("FLAGS \\(([^)]*)\\)");

    /** A client session and the model it keeps. */
    static final class Client implements AutoCloseable {
        final String name;
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        final List<Long> uids = new ArrayList<>();
        final List<String> flags = new ArrayList<>();
        final ConcurrentLinkedQueue<String> violations;
        int tag;

        Client(String name, int port, ConcurrentLinkedQueue<String> violations) throws IOException {
            this.name = name;
            this.violations = violations;
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(30_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
            readLine();
        }

        String readLine() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') b.write(c);
            if (c < 0) throw new IOException(name + ": connection closed");
            return b.toString(StandardCharsets.UTF_8).stripTrailing();
        }

        void violation(String what) { violations.add(name + ": " + what); }

        /** Applies an untagged line to the model, checking it against the model first. */
        void untagged(String line) {
            Matcher m;
            if ((m = EXISTS.matcher(line)).matches()) {
                int n = Integer.parseInt(m.group(1));
                if (n < uids.size()) violation("EXISTS went down from " + uids.size() + " to " + n);
                while (uids.size() < n) {
                    uids.add(null);
                    flags.add(null);
                }
            } else if ((m = EXPUNGE.matcher(line)).matches()) {
                int n = Integer.parseInt(m.group(1));
                if (n < 1 || n > uids.size()) violation("EXPUNGE " + n + " beyond EXISTS " + uids.size());
                else {
                    uids.remove(n - 1);
                    flags.remove(n - 1);
                }
            } else if ((m = FETCH.matcher(line)).matches()) {
                int n = Integer.parseInt(m.group(1));
                if (n < 1 || n > uids.size()) {
                    violation("FETCH " + n + " beyond EXISTS " + uids.size() + ": " + line);
                    return;
                }
                Matcher u = UID.matcher(m.group(2));
                if (u.find()) {
                    long uid = Long.parseLong(u.group(1));
                    Long known = uids.get(n - 1);
                    if (known != null && known != uid) violation("MSN " + n + " was UID " + known + ", now " + uid);
                    uids.set(n - 1, uid);
                }
                Matcher f = FLAGS.matcher(m.group(2));
                if (f.find()) flags.set(n - 1, normalise(f.group(1)));
            }
        }

        /** Sorted, without \Recent (it says which session was told of the message first, not what it holds). */
        static String normalise(String flags) {
            TreeSet<String> set = new TreeSet<>(List.of(flags.isBlank() ? new String[0] : flags.split(" ")));
            set.remove("\\Recent");
            return String.join(" ", set);
        }

        /** Sends a command and reads to its tagged answer; returns the status line. */
        String command(String text) throws IOException {
            String t = "t" + (++tag);
            out.write((t + " " + text + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return awaitTagged(t);
        }

        String awaitTagged(String t) throws IOException {
            while (true) {
                String line = readLine();
                if (line.startsWith(t + " ")) return line;
                if (line.startsWith("* ")) untagged(line);
            }
        }

        String append(String subject) throws IOException {
            String t = "t" + (++tag);
            byte[] msg = ("Subject: " + subject + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
            out.write((t + " APPEND INBOX {" + msg.length + "+}\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(msg);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return awaitTagged(t);
        }

        @Override public void close() throws IOException { socket.close(); }
    }

    @Test void sessionsStayConsistent() throws Exception {
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        try (TestImapServer server = new TestImapServer(dir)) {
            List<Client> writers = new ArrayList<>();
            List<Client> idlers = new ArrayList<>();
            for (int i = 0; i < 3; i++) writers.add(new Client("writer" + i, server.port(), violations));
            for (int i = 0; i < 2; i++) idlers.add(new Client("idler" + i, server.port(), violations));
            List<Client> all = new ArrayList<>(writers);
            all.addAll(idlers);
            for (Client c : all) {
                assertThat(c.command("LOGIN con pw-con")).startsWith("t1 OK");
                assertThat(c.command("SELECT INBOX")).contains("OK");
            }
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (Client idler : idlers) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        String t = "i" + (++idler.tag);
                        idler.out.write((t + " IDLE\r\n").getBytes(StandardCharsets.US_ASCII));
                        idler.out.flush();
                        assertThat(idler.readLine()).startsWith("+");
                        idler.socket.setSoTimeout(200);
                        while (!stop.get()) {
                            try {
                                String line = idler.readLine();
                                if (line.startsWith("* ")) idler.untagged(line);
                            } catch (java.net.SocketTimeoutException quiet) {
                                // nothing happened for a moment
                            }
                        }
                        idler.socket.setSoTimeout(30_000);
                        idler.out.write("DONE\r\n".getBytes(StandardCharsets.US_ASCII));
                        idler.out.flush();
                        assertThat(idler.awaitTagged(t)).contains("OK");
                    } catch (IOException e) {
                        violations.add(idler.name + ": " + e);
                    }
                }));
            }
            List<Thread> writerThreads = new ArrayList<>();
            for (Client w : writers) {
                writerThreads.add(Thread.ofVirtual().start(() -> {
                    Random random = new Random(w.name.hashCode());
                    try {
                        for (int op = 0; op < 60; op++) {
                            int n = w.uids.size();
                            int choice = n < 5 ? 0 : random.nextInt(6);
                            String r = switch (choice) {
                                case 0, 1 -> w.append(w.name + " " + op);
                                case 2 -> w.command("STORE " + (1 + random.nextInt(n)) + " +FLAGS ($k" + random.nextInt(3) + ")");
                                case 3 -> w.command("STORE " + (1 + random.nextInt(n)) + " -FLAGS ($k" + random.nextInt(3) + ")");
                                case 4 -> w.command("MOVE " + (1 + random.nextInt(n)) + " Archive");
                                default -> {
                                    w.command("STORE " + (1 + random.nextInt(n)) + " +FLAGS.SILENT (\\Deleted)");
                                    yield w.command("EXPUNGE");
                                }
                            };
                            if (!r.contains(" OK ")) w.violation("command failed: " + r);
                            if (op % 10 == 0) w.command("UID FETCH 1:* (UID FLAGS)");
                        }
                    } catch (IOException e) {
                        violations.add(w.name + ": " + e);
                    }
                }));
            }
            for (Thread t : writerThreads) t.join();
            Thread.sleep(300);
            stop.set(true);
            for (Thread t : threads) t.join();
            // every session catches up, then its model must equal the truth
            for (Client c : all) {
                c.command("NOOP");
                List<Long> modelUids = new ArrayList<>(c.uids);
                List<String> modelFlags = new ArrayList<>(c.flags);
                c.uids.replaceAll(x -> null);
                c.command("FETCH 1:* (UID FLAGS)");
                assertThat(c.uids).as(c.name + " message count").hasSize(modelUids.size());
                for (int i = 0; i < modelUids.size(); i++) {
                    if (modelUids.get(i) != null && !modelUids.get(i).equals(c.uids.get(i))) {
                        c.violation("MSN " + (i + 1) + " believed UID " + modelUids.get(i) + " is " + c.uids.get(i));
                    }
                    String truth = c.flags.get(i);
                    String believed = modelFlags.get(i);
                    if (!truth.isEmpty() && !truth.equals(believed)) {
                        c.violation("UID " + c.uids.get(i) + " flags believed [" + believed + "] are [" + truth + "]");
                    }
                }
            }
            int exists = writers.get(0).uids.size();
            for (Client c : all) assertThat(c.uids).as(c.name).hasSize(exists).isEqualTo(writers.get(0).uids);
            assertThat(exists).as("messages left after the run").isPositive();
            for (Client c : all) c.close();
        }
        assertThat(violations).isEmpty();
    }
}
