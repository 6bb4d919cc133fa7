// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;

/**
 * Where the server's certificate comes from, in order of preference: a PKCS#12 keystore, PEM
 * certificate and key files, or else a self-signed certificate kept in {@code selfSignedDirectory}.
 */
public record TlsConfig(Path pkcs12, char[] pkcs12Password, Path certificatePem, Path privateKeyPem,
                        Path selfSignedDirectory) {

    public static TlsConfig selfSigned(Path directory) { return new TlsConfig(null, null, null, null, directory); }

    public SSLContext serverContext() throws IOException, GeneralSecurityException {
        if (pkcs12 != null) return TlsContexts.fromPkcs12(pkcs12, pkcs12Password == null ? new char[0] : pkcs12Password);
        if (certificatePem != null) return TlsContexts.fromPem(certificatePem, privateKeyPem != null ? privateKeyPem : certificatePem);
        if (selfSignedDirectory == null) throw new GeneralSecurityException("no certificate configured and no directory for a self-signed one");
        return SelfSignedCertificate.loadOrCreate(selfSignedDirectory).serverContext();
    }
}
