// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.auth.Network;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile and broken input: each gets the right NO/BAD or BYE, and the server keeps serving others. */
class ImapBadInputIT {
    @TempDir static Path dir;
    static TestImapServer server;
    static final ImapConfig.Limits LIMITS = ImapConfig.Limits.DEFAULT.withMaxLineLength(2048).withMaxLiteralSize(1000)
            .withMaxLiterals(3).withMaxNesting(10).withMaxSequenceRanges(50).withBadCommands(3, 20)
            .withTimeouts(Duration.ofSeconds(2), Duration.ofMinutes(30), Duration.ofMinutes(60));

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir, LIMITS); }

    @AfterAll static void stop() { server.close(); }

    private static void play(String script) throws Exception { Conversation.play(server.port(), script); }

    private static final String LOGIN = """
            C: a LOGIN bad1 pw-bad1
            S~ a OK .*
            """;

    @Test void overLongLineAtLimitAndOver() throws Exception {
        // "b NOOP " is 7 octets: 2048 fits, 2049 does not
        play(LOGIN + "C: b NOOP " + "x".repeat(2048 - 7) + "\nS: b BAD Unexpected characters at end of NOOP\n"
                + "C: c NOOP " + "x".repeat(2049 - 7) + "\nS: c BAD [TOOBIG] Command line too long\n"
                + "C: d NOOP\nS: d OK NOOP completed\n");
    }

    @Test void hugeAndBrokenLiterals() throws Exception {
        play(LOGIN + """
                C: b LOGIN {99999999999999999999}
                S: b BAD [TOOBIG] Literal size out of range
                C: c SELECT {2049}
                S: c BAD [TOOBIG] Literal too large
                C: d APPEND INBOX {1001}
                S~ d NO \\[TOOBIG\\] Message too large .*
                C: e APPEND INBOX {1000}
                S: + OK
                C: %s
                C:
                S~ e OK \\[APPENDUID .*
                C: f SELECT {-5}
                S: f BAD Unexpected character
                C: g NOOP
                S: g OK NOOP completed
                """.formatted("x".repeat(998)));
        // a refused non-synchronizing literal: its octets are on the way, so BYE
        play(LOGIN + """
                C: b APPEND INBOX {5000+}
                S~ b NO \\[TOOBIG\\] .*
                S~ \\* BYE .*
                S: <closed>
                """);
    }

    @Test void literalsPerCommandAtLimitAndOver() throws Exception {
        play("""
                C: a LOGIN {4+}
                C: bad1 {7+}
                C: pw-bad1
                S~ a OK .*
                C: b SETACL {5+}
                C: INBOX {3+}
                C: bob {2+}
                C: lr
                S: b OK ACL updated
                C: c SETACL {5+}
                C: INBOX {3+}
                C: bob {2+}
                C: lr {1+}
                S: c BAD [LIMIT] Too many literals in one command
                S~ \\* BYE .*
                """);
    }

    @Test void parenthesesSequenceSetsNamesNulAndState() throws Exception {
        play(LOGIN + """
                C: b SELECT INBOX
                S* b OK .*
                C: c SEARCH (ALL
                S: c BAD Expected ')' before end of line
                C: d SEARCH ALL)
                S: d BAD Unexpected characters at end of SEARCH
                C: e SEARCH ((((((((((ALL))))))))))
                S: e OK SEARCH completed
                """.replace("S: e OK", "S: * SEARCH\nS: e OK") + """
                C: f SEARCH (((((((((((ALL)))))))))))
                S: f BAD [LIMIT] Parentheses nested too deep
                C: g FETCH 0:4 FLAGS
                S: g BAD Invalid sequence set 0:4
                C: h FETCH 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51 FLAGS
                S: h BAD [LIMIT] Sequence set has too many ranges
                C: i CREATE &Jjo
                S~ i NO \\[CANNOT\\] Invalid mailbox name: .*
                C: j LOGIN x y
                S: j BAD Already logged in
                C: k NOOP
                S: k OK NOOP completed
                """);
        try (Conversation c = new Conversation(server.port())) {
            c.run(LOGIN);
            c.send("b CREATE \"\u00ff\u0000x\"\r\n".getBytes(StandardCharsets.ISO_8859_1));
            c.run("S: b BAD [CLIENTBUG] NUL octet in command\nC: c ENABLE UTF8=ACCEPT\nS: * ENABLED UTF8=ACCEPT\nS: c OK ENABLE completed");
            c.send("d CREATE \"\u00ff\u00fe\"\r\n".getBytes(StandardCharsets.ISO_8859_1));
            c.run("S: d BAD Invalid UTF-8 in string\nC: e NOOP\nS: e OK NOOP completed");
        }
    }

    @Test void badCommandsBeforeLoginEndWithBye() throws Exception {
        play("""
                C: a FOO
                S: a BAD Unknown command FOO
                C: b SELECT INBOX
                S: b BAD Log in first
                C: c BAR
                S: c BAD Unknown command BAR
                S: * BYE Too many invalid commands
                S: <closed>
                """);
    }

    @Test void idleTimeoutBeforeLoginEndsWithBye() throws Exception {
        play("""
                S: * BYE Autologout; idle for too long
                S: <closed>
                """);
    }

    @Test void startTlsDiscardsPipelinedPlaintext() throws Exception {
        try (Socket plain = new Socket("127.0.0.1", server.port())) {
            plain.setSoTimeout(10_000);
            InputStream in = plain.getInputStream();
            OutputStream out = plain.getOutputStream();
            readLine(in);
            // the injected command rides in the same packet as STARTTLS (CVE-2011-0411 class)
            out.write("a STARTTLS\r\nb LOGIN bad1 pw-bad1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readLine(in)).isEqualTo("a OK Begin TLS negotiation now");
            SSLSocket tls = (SSLSocket) trustAll().getSocketFactory().createSocket(plain, "localhost", server.port(), false);
            tls.startHandshake();
            InputStream tin = tls.getInputStream();
            OutputStream tout = tls.getOutputStream();
            tout.write("c NOOP\r\nd SELECT INBOX\r\n".getBytes(StandardCharsets.US_ASCII));
            tout.flush();
            assertThat(readLine(tin)).isEqualTo("c OK NOOP completed");
            assertThat(readLine(tin)).as("the injected LOGIN must not have run").isEqualTo("d BAD Log in first");
            tout.write("e STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
            tout.flush();
            assertThat(readLine(tin)).isEqualTo("e BAD Log in first".replace("Log in first", "STARTTLS not available here"));
        }
    }

    @Test void plaintextLoginRefusedOffLoopbackUnlessConfigured() throws Exception {
        InetAddress external = externalAddress();
        for (boolean allowed : new boolean[] {false, true}) {
            try (TestImapServer s = new TestImapServer(dir.resolve("ext-" + allowed), LIMITS, allowed, external)) {
                assertPlaintextLogin(s, external, allowed, "plaintext allowed: " + allowed);
            }
        }
    }

    /** nginx's mail proxy off loopback logs in with the user's password in clear: [imap] plaintext_auth_networks lets it. */
    @Test void aPeerInThePlaintextAuthNetworksMayLogInInClearItsNeighbourGetsPrivacyRequired() throws Exception {
        InetAddress external = externalAddress();
        byte[] next = external.getAddress();
        next[3] ^= 1; // the block of one address beside ours: the peer is just outside it
        String peer = external.getHostAddress() + "/32", beside = InetAddress.getByAddress(next).getHostAddress() + "/32";
        for (String block : new String[] {peer, beside}) {
            boolean allowed = block.equals(peer);
            try (TestImapServer s = new TestImapServer(dir.resolve("net-" + allowed), List.of(Network.parse(block)), external)) {
                assertPlaintextLogin(s, external, allowed, "plaintext_auth_networks " + block);
            }
        }
    }

    /** An IPv4 address of this machine off loopback (the test is skipped without one). */
    private static InetAddress externalAddress() throws java.io.IOException {
        InetAddress external = null;
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) continue;
            for (InetAddress a : Collections.list(ni.getInetAddresses())) if (a instanceof Inet4Address) external = a;
        }
        Assumptions.assumeTrue(external != null, "no non-loopback address on this machine");
        return external;
    }

    /** A LOGIN in clear from {@code external}: accepted and AUTH=PLAIN shown, or PRIVACYREQUIRED and LOGINDISABLED shown. */
    private static void assertPlaintextLogin(TestImapServer s, InetAddress external, boolean allowed, String what) throws Exception {
        try (Socket socket = new Socket(external, s.port())) {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            String greeting = readLine(in);
            out.write("a LOGIN ext pw-ext\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = readLine(in);
            if (allowed) {
                assertThat(greeting).as(what).contains("AUTH=PLAIN").doesNotContain("LOGINDISABLED");
                assertThat(answer).as(what).startsWith("a OK");
            } else {
                assertThat(greeting).as(what).contains("LOGINDISABLED", "STARTTLS").doesNotContain("AUTH=PLAIN");
                assertThat(answer).as(what).isEqualTo("a NO [PRIVACYREQUIRED] Use TLS before logging in");
            }
        }
    }

    @Test void compressDeflateCarriesTheSession() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            readLine(in);
            out.write("a LOGIN bad1 pw-bad1\r\nb COMPRESS DEFLATE\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readLine(in)).startsWith("a OK");
            assertThat(readLine(in)).isEqualTo("b OK DEFLATE active");
            var zout = new java.util.zip.DeflaterOutputStream(out, new java.util.zip.Deflater(6, true), true);
            var zin = new java.util.zip.InflaterInputStream(in, new java.util.zip.Inflater(true));
            zout.write("c NAMESPACE\r\nd COMPRESS DEFLATE\r\n".getBytes(StandardCharsets.US_ASCII));
            zout.flush();
            assertThat(readLine(zin)).isEqualTo("* NAMESPACE ((\"\" \"/\")) NIL NIL");
            assertThat(readLine(zin)).isEqualTo("c OK NAMESPACE completed");
            assertThat(readLine(zin)).isEqualTo("d NO [COMPRESSIONACTIVE] Already compressing");
        }
    }

    @Test void otherSessionsAreUnaffected() throws Exception {
        try (Conversation healthy = new Conversation(server.port())) {
            healthy.run(LOGIN);
            try (Socket rude = new Socket("127.0.0.1", server.port())) {
                rude.getOutputStream().write(new byte[100_000]);
            } catch (java.io.IOException reset) {
                // the server may close on us first
            }
            healthy.run("C: b NOOP\nS: b OK NOOP completed");
        }
    }

    private static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) { }
            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        return ctx;
    }

    private static String readLine(InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') sb.append((char) b);
        return sb.toString().stripTrailing();
    }
}
