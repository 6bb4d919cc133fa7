// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The script format against a server that answers every client write with what it got, then closes. */
@Timeout(30)
class ConversationTest {
    /** Sends {@code reply}, reads what the client sends up to its QUIT, and closes. */
    private static CompletableFuture<String> server(ServerSocket listener, String reply) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket s = listener.accept()) {
                s.getOutputStream().write(reply.getBytes(StandardCharsets.UTF_8));
                InputStream in = s.getInputStream();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                while (!got.toString(StandardCharsets.UTF_8).endsWith("QUIT\r\n")) {
                    int b = in.read();
                    if (b < 0) break;
                    got.write(b);
                }
                return got.toString(StandardCharsets.UTF_8);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test void everyKindOfLine() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            var received = server(listener, "220 ready\r\n250-one\r\n250-two\r\n250 three\r\n354 go on\r\n");
            try (Conversation c = new Conversation(listener.getLocalPort())) {
                c.run("""
                        # a comment
                        S: 220 ready
                        C: LHLO x
                        S~ 250-o.e
                        S* 250 .*
                        S: 354…
                        C= BDAT 3<CRLF>a<LF>b
                        C: QUIT
                        S: <closed>
                        """);
            }
            assertThat(received.get()).isEqualTo("LHLO x\r\nBDAT 3\r\na\nbQUIT\r\n");
        }
    }

    @Test void aMismatchShowsTheTranscript() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server(listener, "220 ready\r\n");
            try (Conversation c = new Conversation(listener.getLocalPort())) {
                assertThatThrownBy(() -> c.run("S: 220 steady")).isInstanceOf(AssertionError.class)
                        .hasMessageContaining("expected: 220 steady\n     got: 220 ready\nS: 220 ready");
            }
        }
    }

    @Test void aLineEndingInLfAloneFails() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server(listener, "220 ready\n");
            try (Conversation c = new Conversation(listener.getLocalPort())) {
                assertThatThrownBy(() -> c.run("S: 220 ready")).isInstanceOf(AssertionError.class).hasMessageContaining("end with CRLF");
            }
        }
    }
}
