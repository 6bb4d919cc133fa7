// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.lmtp;

import dev.cairn.bench.Corpus;
import dev.cairn.bench.Endpoint;
import dev.cairn.bench.Errors;
import dev.cairn.bench.LoadRun;
import dev.cairn.bench.MessagePool;
import dev.cairn.bench.Recorder;
import dev.cairn.bench.Report;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code cairn bench lmtp}: concurrent LMTP deliveries (RFC 2033) over long-lived
 * connections. Each transaction is pipelined as an MTA sends it (MAIL, RCPT..., DATA), and
 * after the message the server owes one reply per accepted recipient, each checked.
 */
public final class LmtpBench {

    public static final List<String> KINDS = List.of("deliver");

    public record Config(Endpoint endpoint, String recipientPattern, int users, int firstUser, int minRecipients,
            int maxRecipients, String sender, long seed, int minMessageSize, int maxMessageSize, int poolSize, LoadRun.Settings load) {
        public Config {
            if (minRecipients < 1 || maxRecipients < minRecipients || maxRecipients > users) {
                throw new IllegalArgumentException("recipients per message must be 1 <= min <= max <= users");
            }
        }

        String recipient(int number) {
            return recipientPattern.replace("%d", Integer.toString(number));
        }
    }

    private final Config config;
    private final PrintStream log;
    private final Errors errors = new Errors();
    private final MessagePool pool;
    private final Map<Corpus.Message, byte[]> stuffed = new ConcurrentHashMap<>();
    private final LongAdder recipients = new LongAdder();
    private final LongAdder bytes = new LongAdder();

    public LmtpBench(Config config, PrintStream log) {
        this.config = config;
        this.log = log;
        this.pool = new MessagePool(new Corpus(config.seed(), config.minMessageSize(), config.maxMessageSize()), config.poolSize());
    }

    public Report run() throws InterruptedException {
        Map<String, String> described = new LinkedHashMap<>();
        described.put("recipients", config.recipient(config.firstUser()) + ".."
            + config.recipient(config.firstUser() + config.users() - 1) + ", " + config.minRecipients() + "-"
            + config.maxRecipients() + " per message");
        described.put("connections", Integer.toString(config.load().clients()));
        described.put("corpus", pool.size() + " messages, seed " + config.seed() + ", "
            + pool.totalBytes() / pool.size() + " bytes on average");
        described.put("warm-up", config.load().warmup().toSeconds() + " s");
        Report report = new LoadRun(config.load(), log).run("lmtp", config.endpoint().toString(), described, KINDS,
            errors, (index, recorder) -> new Client(index, recorder));
        return report;
    }

    /** Recipient deliveries acknowledged with 2xx during the whole run (warm-up included). */
    public long deliveredRecipients() {
        return recipients.sum();
    }

    /** Message bytes sent during the whole run. */
    public long bytesSent() {
        return bytes.sum();
    }

    /** The message as it goes on the wire after DATA: dot-stuffed, ending in CRLF.CRLF (RFC 5321 section 4.5.2). */
    static byte[] dataBytes(byte[] message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 64);
        boolean lineStart = true;
        for (byte b : message) {
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = b == '\n';
        }
        if (!lineStart) {
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private final class Client implements LoadRun.Client {
        private final Recorder recorder;
        private final SplittableRandom random;
        private Socket socket;
        private LmtpReplyReader reader;
        private OutputStream out;
        private final java.util.Set<String> extensions = new java.util.HashSet<>();

        Client(int index, Recorder recorder) {
            this.recorder = recorder;
            this.random = new SplittableRandom(config.seed() * 1_000_033L + index);
        }

        private void connect() throws IOException {
            socket = config.endpoint().connect();
            reader = new LmtpReplyReader(socket.getInputStream());
            out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            LmtpReply greeting = reader.read();
            if (greeting.code() != 220) {
                throw new LmtpProtocolException("greeting is not 220: " + greeting);
            }
            send("LHLO bench.cairn.dev\r\n");
            LmtpReply lhlo = reader.read();
            if (lhlo.code() != 250) {
                throw new LmtpProtocolException("LHLO refused: " + lhlo);
            }
            extensions.clear();
            for (String line : lhlo.lines().subList(1, lhlo.lines().size())) {
                extensions.add(line.split(" ")[0].toUpperCase(java.util.Locale.ROOT));
            }
        }

        @Override
        public void step() throws IOException {
            if (socket == null) {
                connect();
            }
            Corpus.Message message = pool.pick(random);
            List<String> to = pickRecipients();
            long start = System.nanoTime();
            StringBuilder envelope = new StringBuilder("MAIL FROM:<" + config.sender() + ">");
            if (extensions.contains("8BITMIME")) {
                envelope.append(" BODY=8BITMIME");
            }
            if (extensions.contains("SIZE")) {
                envelope.append(" SIZE=").append(message.size());
            }
            envelope.append("\r\n");
            for (String recipient : to) {
                envelope.append("RCPT TO:<").append(recipient).append(">\r\n");
            }
            envelope.append("DATA\r\n");
            // RFC 2033 section 4.2 makes PIPELINING mandatory for LMTP servers.
            send(envelope.toString());
            LmtpReply mail = reader.read();
            if (!mail.positive()) {
                errors.report("mail-refused", mail.toString());
            }
            List<String> accepted = new ArrayList<>();
            for (String recipient : to) {
                LmtpReply rcpt = reader.read();
                if (rcpt.positive()) {
                    accepted.add(recipient);
                } else {
                    errors.report("rcpt-refused", recipient + ": " + rcpt);
                }
            }
            LmtpReply data = reader.read();
            if (!data.intermediate()) {
                if (!accepted.isEmpty() && mail.positive()) {
                    errors.report("data-refused", data.toString());
                }
                send("RSET\r\n");
                reader.read();
                return;
            }
            byte[] wire = stuffed.computeIfAbsent(message, m -> dataBytes(m.bytes()));
            out.write(wire);
            out.flush();
            bytes.add(wire.length);
            // RFC 2033 section 4.2: one reply per accepted recipient, in RCPT order.
            for (String recipient : accepted) {
                LmtpReply reply = reader.read();
                if (reply.positive()) {
                    recipients.increment();
                } else {
                    errors.report("delivery-failed", recipient + ": " + reply);
                }
            }
            recorder.record("deliver", start);
        }

        private List<String> pickRecipients() {
            int count = config.minRecipients() + random.nextInt(config.maxRecipients() - config.minRecipients() + 1);
            List<String> to = new ArrayList<>(count);
            while (to.size() < count) {
                String recipient = config.recipient(config.firstUser() + random.nextInt(config.users()));
                if (!to.contains(recipient)) {
                    to.add(recipient);
                }
            }
            return to;
        }

        private void send(String command) throws IOException {
            out.write(command.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        @Override
        public void drop() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // dropping after an error
                }
                socket = null;
            }
        }

        @Override
        public void finish() {
            if (socket != null) {
                try {
                    send("QUIT\r\n");
                    reader.read();
                } catch (IOException ignored) {
                    // the run is over
                }
                drop();
            }
        }
    }
}
