// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** Where the server under test listens and how to reach it: plain, implicit TLS, or STARTTLS. */
public record Endpoint(String host, int port, Tls tls, boolean trustAnyCertificate, Duration timeout) {

    public enum Tls { NONE, IMPLICIT, STARTTLS }

    public Endpoint {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    public static Endpoint plain(String host, int port) {
        return new Endpoint(host, port, Tls.NONE, false, Duration.ofSeconds(60));
    }

    /** A connected socket; with implicit TLS the handshake is done. */
    public Socket connect() throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) timeout.toMillis());
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            return tls == Tls.IMPLICIT ? wrap(socket) : socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Starts TLS over an open socket (implicit TLS, or after STARTTLS). */
    public SSLSocket wrap(Socket plain) throws IOException {
        SSLSocket socket = (SSLSocket) factory().createSocket(plain, host, port, true);
        socket.setUseClientMode(true);
        socket.startHandshake();
        return socket;
    }

    private SSLSocketFactory factory() throws IOException {
        if (!trustAnyCertificate) {
            return (SSLSocketFactory) SSLSocketFactory.getDefault();
        }
        try {
            // Benchmarks often run against a test server with a self-signed certificate.
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS", e);
        }
    }

    @Override
    public String toString() {
        return host + ":" + port + (tls == Tls.NONE ? "" : " (" + tls.name().toLowerCase(java.util.Locale.ROOT) + ")");
    }
}
