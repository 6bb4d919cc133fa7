// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.auth.AuthLog;
import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.testing.ExternalProgram;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped fail2ban filters (contrib/fail2ban) against the log of a real node: {@code ./cairn
 * serve} writes its log to a file, clients fail to log in over IMAP and POP3 in every way a
 * guesser can, and succeed too, and Debian's {@code fail2ban-regex} must count exactly the
 * failures, each with the client's address, and no success.
 *
 * <p>Each failure comes from an address of its own (127.0.0.0/8 is all loopback) and for a user
 * of its own, so the node's throttle adds no delay to them, and the address fail2ban reads is
 * known for each line. The throttled ones come from one address that keeps guessing in
 * parallel, until the node refuses it unchecked. The reasons a node does not give cheaply
 * (disabled, authorization denied, temporary failure) and IPv6 are checked on lines of every
 * kind, logged with the server's logback.xml.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class Fail2banFilterIT {
    private static final Pattern LISTENING = Pattern.compile("(imap|pop3): listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final String PASSWORD = "the right password";
    /** Parallel guesses from one address: the sixth waits past the throttle's 30 s budget (penalties 2+4+8+15 s). */
    private static final int GUESSES_UNTIL_THROTTLED = 6;
    private static final String GUESSER = "127.0.0.31";

    @TempDir Path dir;

    private record Node(Process process, Path log, int imap, int pop3) {}

    @Test
    void theTextFilterMatchesEveryFailedImapAndPop3LoginAndNoSuccess() throws Exception {
        checkFilter("text", "cairn.conf", true);
    }

    @Test
    void theJsonFilterMatchesEveryFailedLoginOfTheJsonLog() throws Exception {
        checkFilter("json", "cairn-json.conf", false);
    }

    /**
     * Run in a child JVM with the server's logback.xml: an auth line of every kind, through the
     * throttle as the sessions log them. Successes from 198.51.100.0/24, failures from 192.0.2.0/24
     * and 2001:db8::/32, one address each.
     */
    public static void main(String[] args) throws Exception {
        AuthThrottle throttle = new AuthThrottle();
        int host = 1;
        for (String protocol : List.of("imap", "pop3")) {
            for (String mechanism : List.of("PLAIN", "LOGIN", protocol.equals("imap") ? "LOGIN-COMMAND" : "USER-PASS")) {
                InetAddress from = InetAddress.ofLiteral("198.51.100." + host++);
                throttle.check(new AuthThrottle.Attempt(protocol, mechanism, "alice", from), () -> AuthResult.success("alice"));
                for (AuthLog.Reason reason : AuthLog.Reason.values()) {
                    for (String address : List.of("192.0.2." + host, "2001:db8::" + host)) {
                        throttle.failed(new AuthThrottle.Attempt(protocol, mechanism, "u" + host, InetAddress.ofLiteral(address)), reason);
                    }
                    host++;
                }
            }
        }
    }

    @Test
    void bothFiltersMatchEveryFailureReasonButTemporaryFailureOnIpv4AndIpv6() throws Exception {
        Path fail2banRegex = ExternalProgram.require("fail2ban-regex");
        // The server's logback.xml (in failsafe's class path it sits inside the jar).
        Path config = LauncherIT.repositoryRoot().resolve("cairn-server/src/main/resources/logback.xml");
        for (String format : List.of("text", "json")) {
            Path log = dir.resolve("lines-" + format + ".log");
            ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                    "-cp", System.getProperty("java.class.path"), "-Dlogback.configurationFile=" + config, Fail2banFilterIT.class.getName())
                    .redirectOutput(log.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().remove("CAIRN_LOG_LEVEL");
            pb.environment().put("CAIRN_LOG_FORMAT", format);
            Process p = pb.start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            List<String> lines = Files.readAllLines(log);
            List<InetAddress> banned = lines.stream().filter(l -> l.contains(" login failed ") && !l.contains("reason=temporary_failure"))
                    .map(l -> InetAddress.ofLiteral(l.replaceAll(".* remote=(\\S+) .*", "$1"))).toList();
            // 2 protocols x 3 mechanisms x (6 reasons - temporary_failure) x (IPv4 + IPv6)
            assertThat(banned).hasSize(2 * 3 * (AuthLog.Reason.values().length - 1) * 2);
            assertThat(lines.stream().filter(l -> l.contains(" login succeeded "))).hasSize(6);

            Path filter = LauncherIT.repositoryRoot().resolve("contrib/fail2ban/filter.d")
                    .resolve(format.equals("text") ? "cairn.conf" : "cairn-json.conf");
            ExternalProgram.Result hosts = ExternalProgram.run(
                    List.of(fail2banRegex.toString(), "--out", "ip", log.toString(), filter.toString()), Duration.ofMinutes(2));
            assertThat(hosts.exit()).as(hosts.all()).isZero();
            // As addresses: the log writes 2001:db8:0:0:0:0:0:5, fail2ban prints 2001:db8::5.
            assertThat(hosts.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).map(InetAddress::ofLiteral).toList())
                    .as(format + "\n" + hosts.all()).containsExactlyInAnyOrderElementsOf(banned);
        }
    }

    private void checkFilter(String format, String filterFile, boolean throttle) throws Exception {
        Path fail2banRegex = ExternalProgram.require("fail2ban-regex");
        Path filter = LauncherIT.repositoryRoot().resolve("contrib/fail2ban/filter.d").resolve(filterFile);
        assertThat(filter).exists();
        Path data = dir.resolve("data");
        for (String user : List.of("alice", "bob")) {
            assertThat(Main.run(new ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                    "user", "add", user, "--password-stdin", "--data", data.toString())).isZero();
        }
        Node node = start(data, format);
        try {
            List<String> expectedHosts = new ArrayList<>();
            try (ExecutorService guesser = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<String>> guesses = new ArrayList<>();
                if (throttle) {
                    for (int i = 0; i < GUESSES_UNTIL_THROTTLED; i++) {
                        guesses.add(guesser.submit(() -> imap(GUESSER, node.imap(), "LOGIN guessed-user wrong-guess")));
                        expectedHosts.add(GUESSER);
                    }
                }

                // Successes, from 127.0.0.1 (first: an address that logged in is not slowed for the account later).
                assertThat(imap("127.0.0.1", node.imap(), "LOGIN alice \"" + PASSWORD + "\"")).startsWith("a OK");
                assertThat(imap("127.0.0.1", node.imap(), "AUTHENTICATE PLAIN " + plain("bob", PASSWORD))).startsWith("a OK");
                assertThat(pop3("127.0.0.1", node.pop3(), "USER alice", "PASS " + PASSWORD)).startsWith("+OK");
                assertThat(pop3("127.0.0.1", node.pop3(), "AUTH PLAIN " + plain("bob", PASSWORD))).startsWith("+OK");

                // IMAP failures: wrong password, unknown user, both over SASL PLAIN, a SASL response
                // that does not decode, and user names that try to forge remote= or end the JSON string.
                List<String[]> imapFailures = List.of(
                        new String[] {"127.0.0.11", "LOGIN alice wrong-password", "a NO [AUTHENTICATIONFAILED]"},
                        new String[] {"127.0.0.12", "LOGIN nosuch-imap whatever", "a NO [AUTHENTICATIONFAILED]"},
                        new String[] {"127.0.0.13", "AUTHENTICATE PLAIN " + plain("bob", "wrong-password"), "a NO [AUTHENTICATIONFAILED]"},
                        new String[] {"127.0.0.14", "AUTHENTICATE PLAIN " + plain("nosuch-sasl", "x"), "a NO [AUTHENTICATIONFAILED]"},
                        new String[] {"127.0.0.15", "AUTHENTICATE PLAIN !!!not-base64", "a BAD"},
                        new String[] {"127.0.0.16", "LOGIN remote=192.0.2.66 x", "a NO [AUTHENTICATIONFAILED]"},
                        new String[] {"127.0.0.17", "LOGIN \"q\\\"remote=192.0.2.67\" x", "a NO [AUTHENTICATIONFAILED]"});
                for (String[] f : imapFailures) {
                    assertThat(imap(f[0], node.imap(), f[1])).as(f[1]).startsWith(f[2]);
                    expectedHosts.add(f[0]);
                }
                // POP3 failures: USER/PASS and AUTH PLAIN, wrong password and unknown user, and bad SASL.
                List<String[]> pop3Failures = List.of(
                        new String[] {"127.0.0.21", "USER alice\nPASS wrong-password", "-ERR [AUTH]"},
                        new String[] {"127.0.0.22", "USER nosuch-pop3\nPASS whatever", "-ERR [AUTH]"},
                        new String[] {"127.0.0.23", "AUTH PLAIN " + plain("bob", "wrong-password"), "-ERR [AUTH]"},
                        new String[] {"127.0.0.24", "AUTH PLAIN " + plain("nosuch-sasl-pop3", "x"), "-ERR [AUTH]"},
                        new String[] {"127.0.0.25", "AUTH PLAIN !!!not-base64", "-ERR [AUTH]"});
                for (String[] f : pop3Failures) {
                    assertThat(pop3(f[0], node.pop3(), f[1].split("\n"))).as(f[1]).startsWith(f[2]);
                    expectedHosts.add(f[0]);
                }

                List<String> answers = new ArrayList<>();
                for (Future<String> g : guesses) answers.add(g.get());
                if (throttle) {
                    // The throttle refuses the last guess(es) unchecked; the others were checked and failed.
                    assertThat(answers).allSatisfy(a -> assertThat(a).matches("a NO \\[(AUTHENTICATIONFAILED|UNAVAILABLE)].*"));
                    assertThat(answers).anySatisfy(a -> assertThat(a).startsWith("a NO [UNAVAILABLE]"));
                }
            }

            List<String> authLines = awaitAuthLines(node, 4 + expectedHosts.size());
            assertThat(authLines.stream().filter(l -> l.contains(" login succeeded "))).hasSize(4);
            assertThat(authLines.stream().filter(l -> l.contains(" login failed "))).hasSize(expectedHosts.size());
            if (throttle) assertThat(authLines).anyMatch(l -> l.contains("reason=throttled"));

            ExternalProgram.Result summary = ExternalProgram.run(
                    List.of(fail2banRegex.toString(), node.log().toString(), filter.toString()), Duration.ofMinutes(2));
            assertThat(summary.exit()).as(summary.all()).isZero();
            assertThat(count(summary.stdout(), "Failregex: (\\d+) total")).as(summary.all()).isEqualTo(expectedHosts.size());
            assertThat(count(summary.stdout(), "Ignoreregex: (\\d+) total")).as(summary.all()).isZero();
            // Every line carried a date fail2ban could read (else it would not ban on it).
            assertThat(summary.all()).doesNotContain("no valid date");
            System.out.println("fail2ban-regex " + filterFile + " on the " + format + " log:\n" + summary.stdout());

            // The address of each failure, as fail2ban would ban it: never 127.0.0.1 (the successes),
            // never an address a user name tried to forge.
            ExternalProgram.Result hosts = ExternalProgram.run(
                    List.of(fail2banRegex.toString(), "--out", "ip", node.log().toString(), filter.toString()), Duration.ofMinutes(2));
            assertThat(hosts.exit()).as(hosts.all()).isZero();
            assertThat(hosts.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList()).as(hosts.all())
                    .containsExactlyInAnyOrderElementsOf(expectedHosts);
        } finally {
            stop(node);
        }
    }

    /** {@code ./cairn serve} on {@code data} with its log (standard output) in a file, once it serves. */
    private Node start(Path data, String format) throws Exception {
        Path root = LauncherIT.repositoryRoot();
        Path log = dir.resolve("cairn-" + format + ".log");
        Path err = dir.resolve("cairn-" + format + ".err");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("cairn").toString(), "serve", "--data", data.toString(),
                "--imap", "127.0.0.1:0", "--pop3", "127.0.0.1:0", "--lmtp", "off", "--admin", "127.0.0.1:0")
                .directory(root.toFile())
                .redirectOutput(log.toFile())
                .redirectError(err.toFile());
        pb.environment().remove("CAIRN_LOG_LEVEL");
        pb.environment().put("CAIRN_LOG_FORMAT", format);
        Process process = pb.start();
        try {
            // It logs "serving" once up; if it exits instead, there is no use waiting.
            eventually(Duration.ofSeconds(180), () -> assertThat(!process.isAlive() || Files.readString(log).contains("serving ")).isTrue());
        } catch (AssertionError notServing) {
            // said below, with its log
        }
        String text = Files.readString(log);
        if (!text.contains("serving ")) {
            process.destroyForcibly();
            throw new AssertionError("serve did not start:\n" + text + Files.readString(err));
        }
        int imap = 0, pop3 = 0;
        Matcher m = LISTENING.matcher(text);
        while (m.find()) {
            if (m.group(1).equals("imap")) imap = Integer.parseInt(m.group(2));
            else pop3 = Integer.parseInt(m.group(2));
        }
        assertThat(imap).as(text).isPositive();
        assertThat(pop3).as(text).isPositive();
        return new Node(process, log, imap, pop3);
    }

    private static void stop(Node node) throws InterruptedException {
        node.process().toHandle().destroy(); // SIGTERM: the node stops cleanly
        if (!node.process().waitFor(60, TimeUnit.SECONDS)) node.process().destroyForcibly();
    }

    /** The log's auth lines, once there are {@code n} of them (each is logged before the reply, but the file is read apart). */
    private static List<String> awaitAuthLines(Node node, int n) throws Exception {
        eventually(Duration.ofSeconds(30), () -> assertThat(authLines(node)).hasSizeGreaterThanOrEqualTo(n));
        return authLines(node);
    }

    private static List<String> authLines(Node node) throws IOException {
        return Files.readAllLines(node.log()).stream().filter(l -> l.contains("auth: ")).toList();
    }

    private static int count(String output, String regex) {
        Matcher m = Pattern.compile(regex).matcher(output);
        assertThat(m.find()).as(output).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static String plain(String user, String password) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** A connection from {@code from} (a loopback address) to the node. */
    private static Socket connect(String from, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 10_000);
        s.setSoTimeout(60_000);
        return s;
    }

    /** One IMAP command after the greeting; its tagged reply. */
    private static String imap(String from, int port, String command) throws IOException {
        try (Socket s = connect(from, port)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            out.write(("a " + command + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("a ")) {
                // untagged data before the tagged reply
            }
            return String.valueOf(line);
        }
    }

    /** POP3 commands after the greeting; the last reply. */
    private static String pop3(String from, int port, String... commands) throws IOException {
        try (Socket s = connect(from, port)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            String reply = null;
            for (String command : commands) {
                out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                reply = in.readLine();
            }
            return String.valueOf(reply);
        }
    }
}
