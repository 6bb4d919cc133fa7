// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.jmh;

import dev.cairn.bench.Corpus;
import dev.cairn.imap.client.ImapResponse;
import dev.cairn.imap.client.ImapResponseReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What the load generator spends per response it checks: parsing a flags FETCH of a
 * mailbox of 50 messages, and a body FETCH of a typical corpus message. (The generator shares
 * the machine with the server under test, so its cost per operation matters.)
 *
 * <pre>java -cp 'cairn-bench/target/cairn-bench.jar:cairn-bench/target/lib/*' org.openjdk.jmh.Main ImapResponseReader</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ImapResponseReaderBenchmark {

    private byte[] flagsFetch;
    private byte[] bodyFetch;

    @Setup
    public void setUp() {
        StringBuilder flags = new StringBuilder();
        for (int i = 1; i <= 50; i++) {
            flags.append("* ").append(i).append(" FETCH (UID ").append(1000 + i).append(" FLAGS (\\Seen")
                .append(i % 3 == 0 ? " \\Flagged" : "").append(i % 5 == 0 ? " $Forwarded" : "").append("))\r\n");
        }
        flags.append("b7 OK Fetch completed (0.001 + 0.000 secs).\r\n");
        flagsFetch = flags.toString().getBytes(StandardCharsets.US_ASCII);

        byte[] message = new Corpus(1).message(3).bytes();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("* 7 FETCH (UID 1007 RFC822.SIZE " + message.length + " BODY[] {" + message.length + "}\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(message);
        body.writeBytes(")\r\nb8 OK Fetch completed.\r\n".getBytes(StandardCharsets.US_ASCII));
        bodyFetch = body.toByteArray();
    }

    @Benchmark
    public void flagsOfFiftyMessages(Blackhole sink) throws IOException {
        readAll(flagsFetch, sink);
    }

    @Benchmark
    public void oneBody(Blackhole sink) throws IOException {
        readAll(bodyFetch, sink);
    }

    private static void readAll(byte[] bytes, Blackhole sink) throws IOException {
        ImapResponseReader reader = new ImapResponseReader(new ByteArrayInputStream(bytes));
        ImapResponse response;
        while ((response = reader.read()) != null) {
            sink.consume(response);
        }
    }
}
