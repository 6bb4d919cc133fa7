// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.testing.FakeClock;
import dev.cairn.protocol.tls.TlsConfig;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LargeMessageAndThrottleIT {
    @TempDir Path dir;

    /** A 50 MB APPEND streams to a spool file and back out of FETCH BODY[] intact; the spool is cleaned. */
    @Test void fiftyMegabyteAppendRoundTrips() throws Exception {
        try (TestImapServer server = new TestImapServer(dir.resolve("s"));
             Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(120_000);
            InputStream in = s.getInputStream();
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
            readLine(in);
            int size = 50 << 20;
            byte[] header = "Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            out.write(("a LOGIN big pw-big\r\nb APPEND INBOX {" + size + "+}\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(header);
            sent.update(header);
            byte[] line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_=+!\r\n".getBytes(StandardCharsets.US_ASCII);
            long left = size - header.length;
            while (left > 0) {
                int n = (int) Math.min(line.length, left);
                out.write(line, 0, n);
                sent.update(line, 0, n);
                left -= n;
            }
            out.write("\r\nc SELECT INBOX\r\nd FETCH 1 (RFC822.SIZE BODY.PEEK[])\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readLine(in)).startsWith("a OK");
            assertThat(readLine(in)).startsWith("b OK [APPENDUID");
            String l;
            while (!(l = readLine(in)).startsWith("c ")) assertThat(l).startsWith("*");
            String fetch = readLine(in);
            assertThat(fetch).isEqualTo("* 1 FETCH (RFC822.SIZE " + size + " BODY[] {" + size + "}");
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            long remaining = size;
            while (remaining > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                got.update(buf, 0, n);
                remaining -= n;
            }
            assertThat(got.digest()).isEqualTo(sent.digest());
            assertThat(readLine(in)).isEqualTo(")");
            assertThat(readLine(in)).isEqualTo("d OK FETCH completed");
            try (var files = Files.list(server.dir.resolve("spool"))) {
                assertThat(files.toList()).as("spooled literal removed").isEmpty();
            }
        }
    }

    /** After each failed login the next one waits longer before its password is checked, whatever the command. */
    @Test void failedLoginsWaitLongerEachTime() throws Exception {
        List<Duration> waits = new CopyOnWriteArrayList<>();
        FakeClock clock = new FakeClock();
        AuthThrottle throttle = new AuthThrottle(new AuthThrottle.Config(Duration.ofSeconds(2), Duration.ofSeconds(15),
                Duration.ofMinutes(5), 1000), clock, clock.sleeper(waits));
        InetAddress lo = InetAddress.getLoopbackAddress();
        ImapConfig config = new ImapConfig(new InetSocketAddress(lo, 0), null,
                TlsConfig.selfSigned(dir.resolve("tls")).serverContext(), false, ImapConfig.Limits.DEFAULT,
                AuthThrottle.Config.DEFAULT, dir.resolve("spool"));
        try (SlotStore store = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot")).withSync(false));
             ImapServer server = new ImapServer(config, store, (u, p, z, r, sec) ->
                     p.equals("right") ? AuthResult.success(u) : AuthResult.invalid("no"), throttle)) {
            server.start();
            Conversation.play(server.address().getPort(), """
                    C: a LOGIN carol wrong
                    S: a NO [AUTHENTICATIONFAILED] Authentication failed
                    C: b LOGIN carol wrong
                    S: b NO [AUTHENTICATIONFAILED] Authentication failed
                    C: c AUTHENTICATE PLAIN AGNhcm9sAHdyb25n
                    S: c NO [AUTHENTICATIONFAILED] Authentication failed
                    C: d LOGIN carol right
                    S~ d OK .*
                    """);
            assertThat(waits).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8));
        }
    }

    private static String readLine(InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') sb.append((char) b);
        return sb.toString().stripTrailing();
    }
}
