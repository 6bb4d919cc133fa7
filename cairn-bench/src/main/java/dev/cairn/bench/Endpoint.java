// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import dev.cairn.imap.client.ImapClient;
import dev.cairn.protocol.tls.TlsSockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

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

    /** Starts TLS over an open socket (implicit TLS, or after STARTTLS); no host name check, as before. */
    public SSLSocket wrap(Socket plain) throws IOException {
        SSLContext context = trustAnyCertificate ? TlsSockets.trustingEveryCertificate() : TlsSockets.systemDefault();
        return TlsSockets.client(context, plain, host, port, TlsSockets.HostCheck.TRUST_ONLY);
    }

    /** An IMAP client: connected, greeting read (OK or PREAUTH), and STARTTLS run if this endpoint asks for it. */
    public ImapClient openImap() throws IOException {
        ImapClient client = ImapClient.open(connect(), ImapClient.Options.DEFAULT);
        try {
            if (tls == Tls.STARTTLS) {
                client.startTls(this::wrap);
            }
            return client;
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return host + ":" + port + (tls == Tls.NONE ? "" : " (" + tls.name().toLowerCase(java.util.Locale.ROOT) + ")");
    }
}
