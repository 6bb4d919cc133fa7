// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.lmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.bench.Corpus;
import dev.cairn.bench.Endpoint;
import dev.cairn.bench.LoadRun;
import dev.cairn.bench.MessagePool;
import dev.cairn.bench.Report;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LmtpBenchTest {

    @Test
    void dotStuffingEscapesLeadingDotsAndEndsTheData() {
        byte[] wire = LmtpBench.dataBytes(bytes(".hidden\r\nok\r\n..two\r\nlast"));
        assertThat(new String(wire, StandardCharsets.US_ASCII)).isEqualTo("..hidden\r\nok\r\n...two\r\nlast\r\n.\r\n");
    }

    @Test
    void readsRepliesSplitAtEveryByte() throws IOException {
        byte[] all = bytes("220 ready\r\n250-host\r\n250-PIPELINING\r\n250 8BITMIME\r\n452 4.2.2 full\r\n");
        for (int split = 0; split <= all.length; split++) {
            InputStream in = new SequenceInputStream(new ByteArrayInputStream(all, 0, split),
                new ByteArrayInputStream(all, split, all.length - split));
            LmtpReplyReader reader = new LmtpReplyReader(in);
            assertThat(reader.read()).isEqualTo(new LmtpReply(220, List.of("ready")));
            assertThat(reader.read()).isEqualTo(new LmtpReply(250, List.of("host", "PIPELINING", "8BITMIME")));
            assertThat(reader.read().code()).isEqualTo(452);
        }
    }

    @Test
    void refusesMalformedReplies() throws IOException {
        assertThatThrownBy(() -> reply("25 short\r\n")).hasMessageContaining("without a code");
        assertThatThrownBy(() -> reply("250-a\r\n251 b\r\n")).hasMessageContaining("changes its code");
        assertThatThrownBy(() -> reply("250 ok\n")).hasMessageContaining("bare LF");
        assertThatThrownBy(() -> reply("250xok\r\n")).hasMessageContaining("not followed by space");
        assertThatThrownBy(() -> reply("150 old\r\n")).hasMessageContaining("out of range");
        // The line limit: exactly MAX_LINE bytes is a reply, one more is refused.
        assertThat(reply("250 " + "x".repeat(LmtpReplyReader.MAX_LINE - 4) + "\r\n").code()).isEqualTo(250);
        assertThatThrownBy(() -> reply("250 " + "x".repeat(LmtpReplyReader.MAX_LINE - 3) + "\r\n"))
            .hasMessageContaining("longer than");
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void deliversToACorrectServerWithoutErrors() throws Exception {
        try (FakeLmtpServer server = new FakeLmtpServer(false)) {
            Report report = run(server);
            assertThat(report.errors()).as(report.errorSamples().toString()).isEmpty();
            assertThat(report.totalOps()).isGreaterThanOrEqualTo(40);
            assertThat(server.wrongBodies).isZero();
            assertThat(server.delivered).isPositive();
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void reportsARecipientTheServerFailedAfterData() throws Exception {
        try (FakeLmtpServer server = new FakeLmtpServer(true)) {
            Report report = run(server);
            assertThat(report.errors()).containsKey("delivery-failed");
        }
    }

    private static Report run(FakeLmtpServer server) throws InterruptedException {
        // A count of operations, not a duration: the machine may be slow, the test must not be flaky.
        var load = new LoadRun.Settings(3, Duration.ZERO, Duration.ZERO, 40, false, List.of());
        var config = new LmtpBench.Config(Endpoint.plain("127.0.0.1", server.port()), "u%d@example.com", 5, 1, 1, 3,
            "bench@example.net", 9, Corpus.MIN_SIZE, 64 * 1024, 20, load);
        return new LmtpBench(config, new PrintStream(OutputStream.nullOutputStream())).run();
    }

    private static LmtpReply reply(String text) throws IOException {
        return new LmtpReplyReader(new ByteArrayInputStream(bytes(text))).read();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * An LMTP server that checks each message is the corpus message it names (so framing and
     * dot-stuffing round-trip), and, when broken, fails every second recipient after DATA.
     */
    private static final class FakeLmtpServer implements AutoCloseable {
        private final ServerSocket server;
        private final boolean failSecond;
        private final MessagePool pool = new MessagePool(new Corpus(9, 64 * 1024), 1);
        volatile int delivered;
        volatile int wrongBodies;

        FakeLmtpServer(boolean failSecond) throws IOException {
            this.failSecond = failSecond;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        socket.setTcpNoDelay(true);
                        Thread.ofVirtual().start(() -> serve(socket));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve(Socket socket) {
            try (socket) {
                InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                send(out, "220 fake LMTP");
                List<String> recipients = new ArrayList<>();
                String line;
                while ((line = line(in)) != null) {
                    String upper = line.toUpperCase(java.util.Locale.ROOT);
                    if (upper.startsWith("LHLO")) {
                        send(out, "250-fake\r\n250-PIPELINING\r\n250 8BITMIME");
                    } else if (upper.startsWith("MAIL FROM:")) {
                        recipients.clear();
                        send(out, "250 2.1.0 ok");
                    } else if (upper.startsWith("RCPT TO:")) {
                        recipients.add(line.substring(8));
                        send(out, "250 2.1.5 ok");
                    } else if (upper.equals("DATA")) {
                        send(out, "354 go");
                        byte[] body = data(in);
                        Corpus.Message message = pool.identify(body);
                        boolean right = message != null && MessagePool.matches(body, message, true);
                        if (!right) {
                            wrongBodies++;
                        }
                        StringBuilder replies = new StringBuilder();
                        for (int i = 0; i < recipients.size(); i++) {
                            if (!right) {
                                replies.append("554 5.6.0 not the corpus message\r\n");
                            } else if (failSecond && i == 1) {
                                replies.append("452 4.2.2 mailbox full\r\n");
                            } else {
                                delivered++;
                                replies.append("250 2.0.0 saved\r\n");
                            }
                        }
                        out.write(replies.toString().getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } else if (upper.equals("RSET")) {
                        send(out, "250 ok");
                    } else if (upper.equals("QUIT")) {
                        send(out, "221 bye");
                        return;
                    } else {
                        send(out, "500 unknown");
                    }
                }
            } catch (IOException e) {
                // client gone
            }
        }

        /** Reads up to CRLF.CRLF, undoing dot-stuffing (RFC 5321 section 4.5.2). */
        private static byte[] data(InputStream in) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String line = rawLine(in);
                if (line.equals(".\r\n")) {
                    return body.toByteArray();
                }
                body.writeBytes((line.startsWith(".") ? line.substring(1) : line).getBytes(StandardCharsets.ISO_8859_1));
            }
        }

        private static String rawLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != -1) {
                line.write(c);
                if (c == '\n') {
                    break;
                }
            }
            if (c == -1) {
                throw new IOException("eof");
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }

        private static String line(InputStream in) throws IOException {
            try {
                String raw = rawLine(in);
                return raw.substring(0, raw.length() - 2);
            } catch (IOException e) {
                return null;
            }
        }

        private static void send(OutputStream out, String text) throws IOException {
            out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
