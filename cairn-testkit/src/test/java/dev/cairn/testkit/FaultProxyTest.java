// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FaultProxyTest {
    private ServerSocket echo;
    private FaultProxy proxy;

    @BeforeEach void echoServerBehindAProxy() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (true) {
                Socket s;
                try {
                    s = echo.accept();
                } catch (IOException e) {
                    return;
                }
                Thread.ofVirtual().start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        in.transferTo(out);
                    } catch (IOException e) {
                        // the test closed it
                    }
                });
            }
        });
        proxy = FaultProxy.to(echo.getLocalPort());
    }

    @AfterEach void close() throws IOException {
        proxy.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        s.setSoTimeout(2_000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes());
        byte[] b = s.getInputStream().readNBytes(text.length());
        return new String(b);
    }

    @Test void anOpenLinkForwardsBothWays() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");
        }
        assertThat(proxy.accepted()).isEqualTo(1);
    }

    @Test void aBlackholeDropsEveryByteWithoutClosingAndHealClosesWhatItHeld() throws IOException {
        try (Socket held = connect()) {
            assertThat(roundTrip(held, "a")).isEqualTo("a");
            proxy.blackhole();
            held.setSoTimeout(300);
            held.getOutputStream().write("lost".getBytes());
            assertThatThrownBy(() -> held.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            try (Socket fresh = connect()) { // accepted, and then nothing
                fresh.setSoTimeout(300);
                fresh.getOutputStream().write("x".getBytes());
                assertThatThrownBy(() -> fresh.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            }
            proxy.heal();
            held.setSoTimeout(2_000);
            assertThat(held.getInputStream().read()).isEqualTo(-1); // the peer sees the end and reconnects
        }
        try (Socket after = connect()) {
            assertThat(roundTrip(after, "again")).isEqualTo("again");
        }
    }

    @Test void refuseClosesOpenConnectionsAndEveryNewOne() throws IOException {
        try (Socket open = connect()) {
            assertThat(roundTrip(open, "a")).isEqualTo("a");
            proxy.refuse();
            assertThat(open.getInputStream().read()).isEqualTo(-1);
            try (Socket refused = connect()) {
                assertThat(refused.getInputStream().read()).isEqualTo(-1);
            }
        }
        proxy.heal();
        try (Socket after = connect()) {
            assertThat(roundTrip(after, "back")).isEqualTo("back");
        }
    }

    @Test void aDelayHoldsEachChunkBackAndHealRemovesIt() throws IOException {
        proxy.delay(Duration.ofMillis(400));
        try (Socket s = connect()) {
            long start = System.nanoTime();
            assertThat(roundTrip(s, "slow")).isEqualTo("slow");
            // two hops (there and back), each held at least 400 ms
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(800));
        }
    }
}
