// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The one place a plain socket becomes a TLS socket, for both sides: the protocol servers
 * (implicit TLS and STARTTLS), the replication link (both ends), and the IMAP client of the
 * load generator and of `cairn replica verify`. The socket wrapped is already connected; the
 * wrapper owns it from then on ({@code autoClose}).
 */
public final class TlsSockets {
    /** Replication speaks TLS 1.3 only: both ends are Cairn nodes, nothing older needs serving. */
    public static final List<String> TLS_1_3 = List.of("TLSv1.3");

    private TlsSockets() {}

    /** How a client checks the server's certificate beyond its context's trust managers. */
    public enum HostCheck {
        /** The certificate must name the host (RFC 6125, as HTTPS does): the system trust store case. */
        NAME_MUST_MATCH,
        /** The context trusts exactly the right certificates (a node's own, a cluster CA): no name check. */
        TRUST_ONLY
    }

    /**
     * The server side, handshake not yet run: {@link TlsContexts#PROTOCOLS} only. The caller runs
     * the handshake under its own timeout (it counts against a login deadline, for one).
     */
    public static SSLSocket server(SSLContext context, Socket plain) throws IOException {
        return server(context, plain, TlsContexts.PROTOCOLS, false);
    }

    /** The server side with the given protocols, asking for a client certificate when {@code needClientAuth}. */
    public static SSLSocket server(SSLContext context, Socket plain, List<String> protocols, boolean needClientAuth)
            throws IOException {
        SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(plain, null, true);
        ssl.setUseClientMode(false);
        ssl.setEnabledProtocols(supported(ssl, protocols));
        if (needClientAuth) ssl.setNeedClientAuth(true);
        return ssl;
    }

    /**
     * The client side over a connected socket, handshake done. {@code host} and {@code port} name
     * the peer for SNI and session reuse (and for the name check with {@link HostCheck#NAME_MUST_MATCH}).
     * The socket's read timeout, set before, bounds the handshake.
     */
    public static SSLSocket client(SSLContext context, Socket plain, String host, int port, HostCheck check,
                                   List<String> protocols) throws IOException {
        SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
        ssl.setUseClientMode(true);
        ssl.setEnabledProtocols(supported(ssl, protocols));
        if (check == HostCheck.NAME_MUST_MATCH) {
            SSLParameters p = ssl.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            ssl.setSSLParameters(p);
        }
        ssl.startHandshake();
        return ssl;
    }

    /** {@link #client(SSLContext, Socket, String, int, HostCheck, List)} with {@link TlsContexts#PROTOCOLS}. */
    public static SSLSocket client(SSLContext context, Socket plain, String host, int port, HostCheck check) throws IOException {
        return client(context, plain, host, port, check, TlsContexts.PROTOCOLS);
    }

    /**
     * A client context that accepts every certificate: for the load generator only, which is often
     * pointed at a test server with a self-signed certificate (`cairn bench --insecure`).
     */
    public static SSLContext trustingEveryCertificate() throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS", e);
        }
    }

    /** The system's default client context (the JDK's trust store). */
    public static SSLContext systemDefault() throws IOException {
        try {
            return SSLContext.getDefault();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS", e);
        }
    }

    private static String[] supported(SSLSocket ssl, List<String> wanted) {
        List<String> available = Arrays.asList(ssl.getSupportedProtocols());
        return wanted.stream().filter(available::contains).toArray(String[]::new);
    }
}
