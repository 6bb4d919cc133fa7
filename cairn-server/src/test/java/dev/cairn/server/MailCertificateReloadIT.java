// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.testkit.Ports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mail listeners' certificate ([tls], here the self-signed one in tls/cert.pem) is replaced by
 * a reload without a restart: the next TLS handshake presents the new one; a certificate file that
 * cannot be read is refused and the listener keeps presenting what it had.
 */
class MailCertificateReloadIT {
    @TempDir Path dir;

    /** The certificate the IMAPS listener presents to a client that trusts {@code trusted}. */
    private static X509Certificate presented(Node node, List<X509Certificate> trusted) throws Exception {
        var address = node.address("imaps");
        try (SSLSocket socket = (SSLSocket) TlsContexts.clientTrusting(trusted).getSocketFactory()
                .createSocket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(30_000);
            socket.startHandshake();
            assertThat(new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine()).startsWith("* OK");
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    @Test @Timeout(120)
    void aNewCertificateIsPresentedAfterAReloadAndAnUnreadableOneChangesNothing() throws Exception {
        Path data = dir.resolve("data"), file = dir.resolve("node.toml");
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
                listen = "127.0.0.1:%d"
                """.formatted(data.toString().replace("\\", "/"), Ports.free(), Ports.free()));
        try (Node node = Node.start(ConfigLoader.load(file), ProtocolListeners.builtIn())) {
            Path certificate = data.resolve("tls/cert.pem"), key = data.resolve("tls/key.pem");
            X509Certificate selfSigned = TlsContexts.readCertificates(certificate).getFirst();
            assertThat(presented(node, List.of(selfSigned))).isEqualTo(selfSigned);

            Path ca = dir.resolve("ca"), issued = dir.resolve("issued");
            assertThat(CliRun.run("", "tls", "ca", "--out", ca.toString()).status()).isZero();
            assertThat(CliRun.run("", "tls", "node", "mail", "--ca", ca.toString(), "--out", issued.toString(), "--host", "127.0.0.1").status()).isZero();
            Files.copy(issued.resolve("mail.pem"), certificate, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(issued.resolve("mail-key.pem"), key, StandardCopyOption.REPLACE_EXISTING);
            CliRun reload = CliRun.run("", "reload", "--config", file.toString());
            assertThat(reload.status()).as(reload.err()).isZero();
            assertThat(reload.out()).contains("mail listeners: certificate " + certificate);
            List<X509Certificate> trustTheCa = TlsContexts.readCertificates(ca.resolve("ca.pem"));
            X509Certificate fromTheCa = TlsContexts.readCertificates(issued.resolve("mail.pem")).getFirst();
            assertThat(presented(node, trustTheCa)).isEqualTo(fromTheCa);

            Files.writeString(certificate, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
            CliRun bad = CliRun.run("", "reload", "--config", file.toString());
            assertThat(bad.status()).isEqualTo(1);
            assertThat(bad.err().strip()).doesNotContain("\n").startsWith("cairn: tls: cannot load " + certificate).contains("; nothing reloaded");
            assertThat(presented(node, trustTheCa)).isEqualTo(fromTheCa);
        }
    }
}
