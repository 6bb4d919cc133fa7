// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.imap.ImapConfig;
import dev.cairn.imap.ImapServer;
import dev.cairn.pop3.Pop3Config;
import dev.cairn.pop3.Pop3Server;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Network;
import dev.cairn.protocol.auth.ProxyLogin;
import dev.cairn.protocol.relay.SessionRoutes;
import dev.cairn.protocol.tls.TlsConfig;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * A node in-process over real sockets: a RocksDB slot, IMAP and POP3 on ephemeral loopback
 * ports, the {@link TestDirectory}, a throttle that waits 1 ms, and proxy logins accepted from
 * {@code trusted} under {@link #SECRET}. A back-end keeps the default routes (served here); a
 * front-end is given {@link RelayRoutes}.
 */
final class TestNode implements AutoCloseable {
    static final byte[] SECRET = "the cluster secret of the tests".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    final String name;
    final SlotStore store;
    final AuthThrottle throttle;
    final ImapServer imap;
    final Pop3Server pop3;

    TestNode(String name, Path dir, List<Network> trusted) throws Exception {
        this(name, dir, trusted, new AuthThrottle.Config(Duration.ofMillis(1), Duration.ofMillis(4), Duration.ofMinutes(1), 1000),
                AuthThrottle.Sleeper.REAL);
    }

    /** With the throttle's delays and how it waits them out (a test records the penalties instead of waiting). */
    TestNode(String name, Path dir, List<Network> trusted, AuthThrottle.Config throttling, AuthThrottle.Sleeper sleeper) throws Exception {
        this.name = name;
        InetAddress lo = InetAddress.getLoopbackAddress();
        store = RocksSlotStore.open(SlotConfig.defaults(dir.resolve(name).resolve("slot")).withSync(false));
        throttle = new AuthThrottle(throttling, Clock.systemUTC(), sleeper);
        ProxyLogin proxyLogin = new ProxyLogin(SECRET, trusted);
        javax.net.ssl.SSLContext tls = TlsConfig.selfSigned(dir.resolve(name).resolve("tls")).serverContext();
        ImapConfig imapConfig = new ImapConfig(new InetSocketAddress(lo, 0), null, tls, false, ImapConfig.Limits.DEFAULT,
                throttling, dir.resolve(name).resolve("spool")).withProxyLogin(proxyLogin);
        TestDirectory directory = new TestDirectory();
        imap = new ImapServer(imapConfig, store, directory, throttle, MemoryBudget.quarterOfHeap());
        pop3 = new Pop3Server(Pop3Config.defaults().withListen(new InetSocketAddress(lo, 0)).withTls(tls).withProxyLogin(proxyLogin),
                store, directory, throttle);
    }

    /** A back-end trusting loopback for proxy logins. */
    static TestNode backend(String name, Path dir) throws Exception {
        return new TestNode(name, dir, Network.LOOPBACK).start();
    }

    /** A front-end relaying through {@code routes}. */
    static TestNode frontend(String name, Path dir, SessionRoutes routes) throws Exception {
        TestNode node = new TestNode(name, dir, Network.LOOPBACK);
        node.imap.routes(routes);
        node.pop3.routes(routes);
        return node.start();
    }

    TestNode start() throws Exception {
        imap.start();
        pop3.start();
        return this;
    }

    /** The certificate this node's listeners present (self-signed, made on first start). */
    java.security.cert.X509Certificate certificate(Path dir) throws Exception {
        return dev.cairn.protocol.tls.SelfSignedCertificate.loadOrCreate(dir.resolve(name).resolve("tls")).certificate();
    }

    int imapPort() { return imap.address().getPort(); }

    int pop3Port() { return pop3.boundAddress().getPort(); }

    /** This node's listeners, as its registration would name them. */
    Backend[] listeners() {
        return new Backend[] {new Backend(name, "imap", "127.0.0.1", imapPort()), new Backend(name, "pop3", "127.0.0.1", pop3Port())};
    }

    /** Messages in the user's INBOX here; 0 when the user has no store here. */
    long inbox(String user) {
        if (!store.hasUser(user)) return 0;
        return store.user(user).mailbox("INBOX").map(m -> m.messages()).orElse(0L);
    }

    @Override public void close() {
        pop3.close();
        imap.close();
        store.close();
    }
}
