// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsContexts;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;

/** A node's own key and self-signed certificate for tests, made with keytool (cairn-protocol's generator). */
record TestCertificates(KeyStore keys, char[] password, X509Certificate certificate) {
    static TestCertificates generate(Path dir) throws Exception {
        SelfSignedCertificate made = SelfSignedCertificate.loadOrCreate(dir);
        char[] password = Files.readString(dir.resolve(SelfSignedCertificate.PASSWORD_FILE), StandardCharsets.US_ASCII).strip().toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(made.keystore())) {
            ks.load(in, password);
        }
        return new TestCertificates(ks, password, made.certificate());
    }

    /** A replication context presenting this certificate and trusting exactly the given ones. */
    SSLContext trusting(X509Certificate... peers) throws Exception {
        return TlsContexts.mutual(keys, password, List.of(peers));
    }
}
