// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.testing.ExternalProgram;
import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.testkit.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-signed certificate a node makes on its first start is also in {@code tls/cert.pem}
 * and {@code tls/key.pem} (issue 17: README says tls/ holds the certificate and key, and
 * replication's {@code tls = true} and clients such as mbsync read PEM): openssl reads both, the
 * certificate is the one the IMAPS listener presents, a client trusting only that file connects,
 * and the key is its owner's only.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TlsPemFilesIT {
    @TempDir Path dir;

    private Path config(Path data) throws IOException {
        int imaps = Ports.free();
        Path file = dir.resolve("node.toml");
        Files.writeString(file, """
                data = "%s"
                [store]
                sync = false
                [imap]
                enabled = false
                [imaps]
                listen = "127.0.0.1:%d"
                [pop3]
                enabled = false
                [lmtp]
                enabled = false
                [admin]
                enabled = false
                """.formatted(data.toString().replace("\\", "/"), imaps));
        return file;
    }

    /** The certificate the IMAPS listener presents to a client that trusts only {@code trusted}, checking the host (127.0.0.1). */
    private static X509Certificate presented(Node node, List<X509Certificate> trusted) throws Exception {
        var address = node.address("imaps");
        try (SSLSocket socket = (SSLSocket) TlsContexts.clientTrusting(trusted).getSocketFactory()
                .createSocket(address.getAddress(), address.getPort())) {
            SSLParameters p = socket.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate names IP:127.0.0.1
            socket.setSSLParameters(p);
            socket.setSoTimeout(30_000);
            socket.startHandshake();
            String greeting = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertThat(greeting).startsWith("* OK");
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    private static void assertOpensslReads(Path certificate, Path key) throws Exception {
        Path openssl = ExternalProgram.require("openssl");
        ExternalProgram.Result x509 = ExternalProgram.run(List.of(openssl.toString(), "x509", "-in", certificate.toString(), "-noout"),
                Duration.ofMinutes(1));
        assertThat(x509.exit()).as(x509.all()).isZero();
        ExternalProgram.Result pkey = ExternalProgram.run(List.of(openssl.toString(), "pkey", "-in", key.toString(), "-noout"),
                Duration.ofMinutes(1));
        assertThat(pkey.exit()).as(pkey.all()).isZero();
    }

    @Test
    void aFreshDataDirectoryGetsTheSelfSignedCertificateAndKeyAsPemFilesThatTheListenerServes() throws Exception {
        Path data = dir.resolve("data");
        try (Node node = Node.start(ConfigLoader.load(config(data)), ProtocolListeners.builtIn())) {
            Path certificate = data.resolve("tls/cert.pem"), key = data.resolve("tls/key.pem");
            assertThat(certificate).isRegularFile();
            assertThat(key).isRegularFile();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
            String keyText = Files.readString(key, StandardCharsets.US_ASCII);
            assertThat(keyText).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
            String certText = Files.readString(certificate, StandardCharsets.US_ASCII);
            assertThat(certText).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
            // RFC 7468: base64 lines of 64 characters (the last one shorter).
            assertThat(certText.lines().filter(l -> !l.startsWith("-----"))).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(64))
                    .first().satisfies(l -> assertThat(l).hasSize(64));
            assertOpensslReads(certificate, key);

            List<X509Certificate> inPem = TlsContexts.readCertificates(certificate);
            assertThat(inPem).hasSize(1);
            // A client that trusts cert.pem and nothing else connects, and is shown that very certificate.
            assertThat(presented(node, inPem).getEncoded()).isEqualTo(inPem.getFirst().getEncoded());
            assertThat(inPem.getFirst().getEncoded())
                    .isEqualTo(SelfSignedCertificate.loadOrCreate(data.resolve("tls")).certificate().getEncoded());
        }
    }

    @Test
    void aDataDirectoryWithOnlyThePkcs12GetsThePemFilesOnItsNextStartAndTheNodeThenServesThem() throws Exception {
        Path data = dir.resolve("data");
        Path config = config(data);
        Path certificate = data.resolve("tls/cert.pem"), key = data.resolve("tls/key.pem");
        try (Node first = Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn())) {
            assertThat(first.serving()).isTrue();
        }
        X509Certificate generated = SelfSignedCertificate.loadOrCreate(data.resolve("tls")).certificate();
        // A data directory from before the PEM files: the PKCS#12 and its password only.
        Files.delete(certificate);
        Files.delete(key);
        try (Node second = Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn())) {
            assertThat(TlsContexts.readCertificates(certificate).getFirst().getEncoded()).isEqualTo(generated.getEncoded());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        }
        assertOpensslReads(certificate, key);
        // The third start reads cert.pem and key.pem themselves: the key signs the handshake, so
        // a client trusting cert.pem connecting proves the two belong together.
        try (Node third = Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn())) {
            assertThat(presented(third, List.of(generated)).getEncoded()).isEqualTo(generated.getEncoded());
        }
    }

    @Test
    void aKeyFileOfTheOperatorIsNotOverwrittenByTheSelfSignedKey() throws Exception {
        Path data = dir.resolve("data");
        Path config = config(data);
        // The operator put their key in place and the node started before their certificate arrived.
        Files.createDirectories(data.resolve("tls"));
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        String theirs = "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        Path key = data.resolve("tls/key.pem");
        Files.writeString(key, theirs);
        try (Node node = Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn())) {
            // It serves the self-signed certificate, and leaves their key and the certificate's place alone.
            X509Certificate generated = SelfSignedCertificate.loadOrCreate(data.resolve("tls")).certificate();
            assertThat(presented(node, List.of(generated)).getEncoded()).isEqualTo(generated.getEncoded());
            assertThat(Files.readString(key)).isEqualTo(theirs);
            assertThat(data.resolve("tls/cert.pem")).doesNotExist();
        }
    }
}
