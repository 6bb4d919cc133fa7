// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.demo;

import dev.cairn.server.config.ConfigLoader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One node of the demo: a {@code cairn serve} child process of this JVM (so that the user can kill
 * it with kill -9 and watch the failover), its output in {@code <dir>/<node>.log}; and the two
 * things the demo does over its listeners: deliver a message over LMTP, and log in over IMAP.
 */
final class DemoNode {
    final String name;
    final Path config;
    final Path log;
    private final Process process;

    private DemoNode(String name, Path config, Path log, Process process) {
        this.name = name;
        this.config = config;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts {@code cairn serve --config CONFIG} in a JVM of its own, with the options `./cairn serve`
     * gives it (the memory budget's, exit on out of memory) and this JVM's class path.
     */
    static DemoNode start(String name, Path config, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-XX:+ExitOnOutOfMemoryError"));
        command.addAll(ConfigLoader.load(config).memory().jvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.cairn.server.Main", "serve", "--config", config.toString()));
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        b.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        return new DemoNode(name, config, log, b.start());
    }

    long pid() { return process.pid(); }

    boolean alive() { return process.isAlive(); }

    Process process() { return process; }

    /** SIGTERM (an orderly stop), then SIGKILL after {@code seconds}; true when it stopped in time by itself. */
    boolean stop(int seconds) throws InterruptedException {
        if (!process.isAlive()) return true;
        process.destroy();
        if (process.waitFor(seconds, TimeUnit.SECONDS)) return true;
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        return false;
    }

    /** The last lines of its log (why it did not start). */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * One LMTP delivery (RFC 2033) to {@code lmtp} (host:port); the reply to the message's data
     * (or the refusal of its recipient).
     */
    static String deliver(String lmtp, String to, String subject, String body) throws IOException {
        int colon = lmtp.lastIndexOf(':');
        try (Socket s = new Socket(lmtp.substring(0, colon), Integer.parseInt(lmtp.substring(colon + 1)))) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            reply(in);
            send(out, "LHLO demo.cairn");
            reply(in);
            send(out, "MAIL FROM:<demo@" + DemoLayout.DOMAIN + ">");
            reply(in);
            send(out, "RCPT TO:<" + to + ">");
            String rcpt = reply(in);
            if (!rcpt.startsWith("250")) return rcpt;
            send(out, "DATA");
            reply(in);
            send(out, "From: Cairn demo <demo@" + DemoLayout.DOMAIN + ">\r\nTo: " + to + "\r\nSubject: " + subject
                    + "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + body + "\r\n.");
            String answer = reply(in);
            send(out, "QUIT");
            return answer;
        }
    }

    /**
     * Logs in over IMAP at {@code imap} (host:port; a plaintext LOGIN, allowed from loopback) and
     * selects INBOX (RFC 9051 6.3.2); the number of messages it holds.
     */
    static int inboxSize(String imap, String user, String password) throws IOException {
        int colon = imap.lastIndexOf(':');
        try (Socket s = new Socket(imap.substring(0, colon), Integer.parseInt(imap.substring(colon + 1)))) {
            s.setSoTimeout(180_000); // a node's first login is its slowest, and a loaded machine slows it more
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            send(out, "a LOGIN " + user + " \"" + password + "\"");
            String l;
            while (!(l = line(in)).startsWith("a ")) { }
            if (!l.startsWith("a OK")) throw new IOException("IMAP login of " + user + " refused: " + l);
            send(out, "b SELECT INBOX");
            int exists = -1;
            while (!(l = line(in)).startsWith("b ")) {
                if (l.startsWith("* ") && l.endsWith(" EXISTS")) exists = Integer.parseInt(l.substring(2, l.length() - 7));
            }
            if (!l.startsWith("b OK")) throw new IOException("IMAP SELECT INBOX of " + user + " refused: " + l);
            send(out, "c LOGOUT");
            return exists;
        }
    }

    private static String line(BufferedReader in) throws IOException {
        String l = in.readLine();
        if (l == null) throw new IOException("the IMAP server closed the connection");
        return l;
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** A reply's last line (multi-line replies have '-' after the code). */
    private static String reply(BufferedReader in) throws IOException {
        String l;
        do {
            l = in.readLine();
            if (l == null) throw new IOException("the LMTP server closed the connection");
        } while (l.length() > 3 && l.charAt(3) == '-');
        return l;
    }
}
