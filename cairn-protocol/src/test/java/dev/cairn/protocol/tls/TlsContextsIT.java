// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Self-signed generation through keytool, reuse, PEM loading, and real handshakes. */
class TlsContextsIT {
    @TempDir Path dir;

    @Test
    void selfSignedIsGeneratedOnceThenReused() throws Exception {
        SelfSignedCertificate first = SelfSignedCertificate.loadOrCreate(dir);
        X509Certificate cert = first.certificate();
        assertThat(cert.getSubjectX500Principal().getName()).contains("CN=localhost");
        assertThat(cert.getSubjectAlternativeNames()).extracting(l -> l.get(1).toString())
                .contains("localhost", "127.0.0.1");
        assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
        SelfSignedCertificate again = SelfSignedCertificate.loadOrCreate(dir);
        assertThat(again.certificate()).isEqualTo(cert);
        assertThat(Files.getPosixFilePermissions(dir.resolve(SelfSignedCertificate.PASSWORD_FILE)).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");

        handshake(first.serverContext(), TlsContexts.clientTrusting(List.of(cert)), "localhost");
    }

    @Test
    void pemCertificateAndPkcs8Key() throws Exception {
        SelfSignedCertificate generated = SelfSignedCertificate.loadOrCreate(dir);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        char[] password = Files.readString(dir.resolve(SelfSignedCertificate.PASSWORD_FILE)).strip().toCharArray();
        try (InputStream in = Files.newInputStream(generated.keystore())) {
            ks.load(in, password);
        }
        PrivateKey key = (PrivateKey) ks.getKey("cairn", password);
        X509Certificate cert = (X509Certificate) ks.getCertificate("cairn");
        Base64.Encoder mime = Base64.getMimeEncoder(64, "\n".getBytes());
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n" + mime.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n" + mime.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");

        SSLContext server = new TlsConfig(null, null, certPem, keyPem, null).serverContext();
        handshake(server, TlsContexts.clientTrusting(TlsContexts.readCertificates(certPem)), "localhost");

        // Cert and key in one file work too; PKCS#1 gets a clear message.
        Path both = dir.resolve("both.pem");
        Files.writeString(both, Files.readString(keyPem) + Files.readString(certPem));
        handshake(TlsContexts.fromPem(both, both), TlsContexts.clientTrusting(List.of(cert)), "localhost");
        Path rsa = dir.resolve("rsa.pem");
        Files.writeString(rsa, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsContexts.readPrivateKey(rsa)).isInstanceOf(GeneralSecurityException.class).hasMessageContaining("pkcs8");
    }

    static void handshake(SSLContext server, SSLContext client, String host) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> accepted = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    TlsContexts.configureServer(s);
                    s.startHandshake();
                    s.getOutputStream().write('!');
                    s.getOutputStream().flush();
                    return s.getSession().getProtocol();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (SSLSocket c = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                c.setSoTimeout(10_000);
                var params = c.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS"); // the SAN must match the name
                params.setServerNames(List.of(new javax.net.ssl.SNIHostName(host)));
                c.setSSLParameters(params);
                c.startHandshake();
                assertThat(c.getInputStream().read()).isEqualTo('!');
            }
            assertThat(accepted.get()).isIn("TLSv1.3", "TLSv1.2");
        }
    }
}
