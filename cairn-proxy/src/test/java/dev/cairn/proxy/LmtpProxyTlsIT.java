// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.lmtp.LmtpServer;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standalone LMTP proxy (no local store) and back-ends off loopback: reached only over STARTTLS
 * with the cluster's trust, never in clear; a recipient located "here" on a proxy is deferred.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LmtpProxyTlsIT {
    @TempDir Path dir;
    final FixedLocator locator = new FixedLocator();
    LmtpServer front;
    LmtpServer back;
    SlotStore slot;

    @AfterEach
    void stop() {
        if (front != null) front.close();
        if (back != null) back.close();
        if (slot != null) slot.close();
    }

    /** An address of this machine that is not loopback (a container's eth0). */
    static InetAddress offLoopback() throws Exception {
        return NetworkInterface.networkInterfaces().filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (java.net.SocketException e) {
                        return false;
                    }
                }).flatMap(NetworkInterface::inetAddresses).filter(a -> a instanceof Inet4Address && !a.isLinkLocalAddress())
                .findFirst().orElse(null);
    }

    void startFront(SSLContext backendTls) throws Exception {
        RelayConfig relay = new RelayConfig(new byte[32], backendTls, Duration.ofSeconds(5), RelayConfig.DEFAULT_LOGIN_WAIT);
        front = LmtpProxy.server(LmtpBackEnds.config(dir, "proxy"), LmtpProxy.NO_LOCAL_STORE, LmtpBackEnds.DIRECTORY,
                new MemoryBudget(16L << 20), locator, relay, new SimpleMeterRegistry());
        front.start();
    }

    @Test
    void aBackEndOffLoopbackIsReachedOverStartTls() throws Exception {
        InetAddress address = offLoopback();
        assumeTrue(address != null, "this machine has no address off loopback");
        SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(dir.resolve("certs"));
        slot = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot")));
        back = new LmtpServer(LmtpBackEnds.config(dir, "back").withListen(new InetSocketAddress(address, 0)).withStartTls(cert.serverContext()),
                slot, LmtpBackEnds.DIRECTORY);
        back.start();
        locator.at("u0", "s0", 1, new Backend("n0", "lmtp", address.getHostAddress(), back.boundAddress().getPort()));
        startFront(TlsContexts.clientTrusting(List.of(cert.certificate())));

        List<String> finals = LmtpProxyIT.send(front.boundAddress().getPort(), List.of("u0@example.com"), LmtpProxyIT.BODY).finals();
        assertThat(finals).singleElement().asString().startsWith("250 2.0.0 <u0@example.com>");
        assertThat(LmtpBackEnds.messages(slot, "u0")).singleElement().asString().contains("with LMTPS");
    }

    @Test
    void aBackEndOffLoopbackIsNeverReachedInClear() throws Exception {
        InetAddress address = offLoopback();
        assumeTrue(address != null, "this machine has no address off loopback");
        try (ServerSocket listener = new ServerSocket(0, 10, address)) {
            locator.at("u0", "s0", 1, new Backend("n0", "lmtp", address.getHostAddress(), listener.getLocalPort()));
            startFront(null);
            List<String> finals = LmtpProxyIT.send(front.boundAddress().getPort(), List.of("u0@example.com"), LmtpProxyIT.BODY).finals();
            assertThat(finals).singleElement().asString().startsWith("451 4.3.0 <u0@example.com>");
            // A connection would have been completed by the kernel before the 451 was written.
            listener.setSoTimeout(1);
            assertThatThrownBy(listener::accept).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void aRecipientLocatedHereOnAStandaloneProxyIsDeferredNotLost() throws Exception {
        locator.here("u0", "s0");
        startFront(null);
        List<String> finals = LmtpProxyIT.send(front.boundAddress().getPort(), List.of("u0@example.com"), LmtpProxyIT.BODY).finals();
        assertThat(finals).singleElement().asString().startsWith("451 4.3.0");
    }
}
