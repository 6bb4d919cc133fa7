// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A cluster CA and node certificates as PEM files, through keytool, and real mutual TLS handshakes with them. */
class ClusterCertificatesIT {
    @TempDir Path dir;

    private static SSLContext mutual(ClusterCertificates.NodeFiles n) throws Exception {
        return TlsContexts.mutualFromPem(n.certificate(), n.key(), TlsContexts.readCertificates(n.trust()));
    }

    /** Both sides present their certificate and check the other's (as replication does); the server's failure, if any, is thrown. */
    private static void handshake(SSLContext server, SSLContext client) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setNeedClientAuth(true);
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    s.getOutputStream().write('!');
                    s.getOutputStream().flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (SSLSocket c = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                c.setSoTimeout(10_000);
                c.startHandshake();
                assertThat(c.getInputStream().read()).isEqualTo('!');
            } finally {
                try {
                    accepted.get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw (Exception) e.getCause().getCause();
                }
            }
        }
    }

    @Test @Timeout(120)
    void nodesOfOneCaTrustEachOtherAndANodeOfAnotherCaIsRefused() throws Exception {
        ClusterCertificates.Authority ca = ClusterCertificates.createAuthority(dir.resolve("ca"), 3650);
        assertThat(ca.x509().getBasicConstraints()).isZero(); // a CA, signing node certificates only
        assertThat(Files.getPosixFilePermissions(ca.key()).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");

        ClusterCertificates.NodeFiles n1 = ClusterCertificates.issueNode("n1", dir.resolve("ca"), dir.resolve("n1"),
                List.of("mail1.example.org", "10.0.0.1", "::1"), 825);
        ClusterCertificates.NodeFiles n2 = ClusterCertificates.issueNode("n2", dir.resolve("ca"), dir.resolve("n2"), List.of(), 825);
        X509Certificate c1 = n1.x509();
        c1.verify(ca.x509().getPublicKey());
        assertThat(c1.getSubjectX500Principal().getName()).isEqualTo("CN=n1");
        assertThat(c1.getBasicConstraints()).isEqualTo(-1);
        assertThat(c1.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"); // serverAuth, clientAuth
        assertThat(c1.getSubjectAlternativeNames()).extracting(l -> l.get(1).toString())
                .containsExactly("n1", "mail1.example.org", "10.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(TlsContexts.readCertificates(n1.certificate())).hasSize(2); // the node's, then the CA's
        assertThat(TlsContexts.readCertificates(n1.trust())).containsExactly(ca.x509());
        assertThat(Files.getPosixFilePermissions(n1.key()).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        try (var left = Files.list(dir.resolve("n1"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("n1.pem", "n1-key.pem", "ca.pem");
        }

        handshake(mutual(n1), mutual(n2));
        handshake(mutual(n2), mutual(n1));

        // Another cluster's CA and node: neither side accepts the other.
        ClusterCertificates.createAuthority(dir.resolve("other-ca"), 3650);
        ClusterCertificates.NodeFiles stranger = ClusterCertificates.issueNode("n1", dir.resolve("other-ca"), dir.resolve("stranger"), List.of(), 825);
        // The refusing side sends an alert and closes; the other end sees the alert (SSLException)
        // or, when it was still writing its own flight, the closed connection (SocketException).
        assertThatThrownBy(() -> handshake(mutual(n1), mutual(stranger)))
                .isInstanceOfAny(javax.net.ssl.SSLException.class, java.net.SocketException.class);
        assertThatThrownBy(() -> handshake(mutual(stranger), mutual(n1)))
                .isInstanceOfAny(javax.net.ssl.SSLException.class, java.net.SocketException.class);
    }

    @Test @Timeout(60)
    void anExistingCaIsNotReplaced() throws Exception {
        ClusterCertificates.Authority ca = ClusterCertificates.createAuthority(dir, 3650);
        String before = Files.readString(ca.certificate());
        assertThatThrownBy(() -> ClusterCertificates.createAuthority(dir, 3650)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(ca.certificate())).isEqualTo(before);
        assertThatThrownBy(() -> ClusterCertificates.issueNode("../n1", dir, dir.resolve("x"), List.of(), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClusterCertificates.issueNode("n1", dir, dir.resolve("x"), List.of("not a host"), 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
