// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import dev.cairn.protocol.ConnectionLimits;
import dev.cairn.protocol.Limits;
import dev.cairn.protocol.auth.Network;
import dev.cairn.protocol.auth.ProxyLogin;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How the POP3 server runs.
 *
 * @param listen              the plain port (STLS upgrades it; default 127.0.0.1:1110), or null
 * @param implicitTlsListen   the implicit-TLS port (RFC 8314 §3.3, 995 in production), or null
 * @param hostname            for the greeting
 * @param tls                 the server certificate for STLS and the implicit-TLS port; null disables both
 * @param allowPlaintextAuth  allow USER/PASS and AUTH PLAIN on an unencrypted connection from a
 *                            non-loopback address (off by default: RFC 8314 §5)
 * @param maxConnections      concurrent connections per port
 * @param limits              line length, bad commands, idle timeouts (RFC 1939 §3: at least 10 minutes)
 * @param connectionLimits    connections per client address, and the login deadline
 * @param proxyLogin          front-ends' logins for their users (AUTH PLAIN as cairn:proxy; issue 21), or null for none
 * @param plaintextAuthNetworks peers that may log in without TLS although off loopback (nginx's mail proxy,
 *                            which logs in with the user's password in clear); CAPA shows them USER and SASL PLAIN LOGIN
 */
public record Pop3Config(InetSocketAddress listen, InetSocketAddress implicitTlsListen, String hostname, SSLContext tls,
                         boolean allowPlaintextAuth, int maxConnections, Limits limits, ConnectionLimits connectionLimits,
                         ProxyLogin proxyLogin, List<Network> plaintextAuthNetworks) {
    public static final int DEFAULT_PORT = 1110;

    /** Plaintext logins off loopback only where {@code allowPlaintextAuth} says so. */
    public Pop3Config(InetSocketAddress listen, InetSocketAddress implicitTlsListen, String hostname, SSLContext tls,
                      boolean allowPlaintextAuth, int maxConnections, Limits limits, ConnectionLimits connectionLimits,
                      ProxyLogin proxyLogin) {
        this(listen, implicitTlsListen, hostname, tls, allowPlaintextAuth, maxConnections, limits, connectionLimits, proxyLogin, List.of());
    }

    /** Without proxy logins. */
    public Pop3Config(InetSocketAddress listen, InetSocketAddress implicitTlsListen, String hostname, SSLContext tls,
                      boolean allowPlaintextAuth, int maxConnections, Limits limits, ConnectionLimits connectionLimits) {
        this(listen, implicitTlsListen, hostname, tls, allowPlaintextAuth, maxConnections, limits, connectionLimits, null);
    }

    public Pop3Config {
        Objects.requireNonNull(hostname);
        Objects.requireNonNull(limits);
        Objects.requireNonNull(connectionLimits);
        if (listen == null && implicitTlsListen == null) throw new IllegalArgumentException("POP3 needs at least one address");
        if (implicitTlsListen != null && tls == null) throw new IllegalArgumentException("the implicit-TLS port needs a certificate");
        if (maxConnections < 1) throw new IllegalArgumentException("maxConnections " + maxConnections);
        plaintextAuthNetworks = List.copyOf(plaintextAuthNetworks);
    }

    /** Whether a peer off loopback may log in without TLS (RFC 8314 §5: by default it may not). */
    public boolean plaintextAuthAllowedFrom(InetAddress peer) {
        return allowPlaintextAuth || Network.anyContains(plaintextAuthNetworks, peer);
    }

    /** Embedded defaults: plain 127.0.0.1:1110 only, no TLS until a certificate is given. */
    public static Pop3Config defaults() {
        return new Pop3Config(new InetSocketAddress("127.0.0.1", DEFAULT_PORT), null, "localhost", null, false, 1000,
                Limits.DEFAULT.withMaxLineLength(8192).withIdleTimeouts(Duration.ofMinutes(1), Duration.ofMinutes(10)),
                ConnectionLimits.DEFAULT);
    }

    public Pop3Config withListen(InetSocketAddress v) { return new Pop3Config(v, implicitTlsListen, hostname, tls, allowPlaintextAuth, maxConnections, limits, connectionLimits, proxyLogin, plaintextAuthNetworks); }
    public Pop3Config withImplicitTlsListen(InetSocketAddress v) { return new Pop3Config(listen, v, hostname, tls, allowPlaintextAuth, maxConnections, limits, connectionLimits, proxyLogin, plaintextAuthNetworks); }
    public Pop3Config withHostname(String v) { return new Pop3Config(listen, implicitTlsListen, v, tls, allowPlaintextAuth, maxConnections, limits, connectionLimits, proxyLogin, plaintextAuthNetworks); }
    public Pop3Config withTls(SSLContext v) { return new Pop3Config(listen, implicitTlsListen, hostname, v, allowPlaintextAuth, maxConnections, limits, connectionLimits, proxyLogin, plaintextAuthNetworks); }
    public Pop3Config withAllowPlaintextAuth(boolean v) { return new Pop3Config(listen, implicitTlsListen, hostname, tls, v, maxConnections, limits, connectionLimits, proxyLogin, plaintextAuthNetworks); }
    public Pop3Config withMaxConnections(int v) { return new Pop3Config(listen, implicitTlsListen, hostname, tls, allowPlaintextAuth, v, limits, connectionLimits, proxyLogin, plaintextAuthNetworks); }
    public Pop3Config withLimits(Limits v) { return new Pop3Config(listen, implicitTlsListen, hostname, tls, allowPlaintextAuth, maxConnections, v, connectionLimits, proxyLogin, plaintextAuthNetworks); }
    public Pop3Config withProxyLogin(ProxyLogin v) { return new Pop3Config(listen, implicitTlsListen, hostname, tls, allowPlaintextAuth, maxConnections, limits, connectionLimits, v, plaintextAuthNetworks); }
    /** Peers off loopback that may log in without TLS ([pop3] plaintext_auth_networks). */
    public Pop3Config withPlaintextAuthNetworks(List<Network> v) { return new Pop3Config(listen, implicitTlsListen, hostname, tls, allowPlaintextAuth, maxConnections, limits, connectionLimits, proxyLogin, v); }
    public Pop3Config withConnectionLimits(ConnectionLimits v) { return new Pop3Config(listen, implicitTlsListen, hostname, tls, allowPlaintextAuth, maxConnections, limits, v, proxyLogin, plaintextAuthNetworks); }
}
