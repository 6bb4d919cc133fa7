// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate Cairn uses when none is configured: generated once with the JDK's keytool
 * (EC P-256, CN=localhost, SAN DNS:localhost and IP:127.0.0.1) into a directory, then reused,
 * so clients that pinned it on first use keep trusting it across restarts. {@link #writePem} also
 * writes it as the PEM files a client, an operator or replication's {@code tls = true} read.
 */
public final class SelfSignedCertificate {
    public static final String KEYSTORE_FILE = "selfsigned.p12";
    public static final String PASSWORD_FILE = "selfsigned.p12.password";
    private static final String ALIAS = "cairn";
    private static final Logger log = LoggerFactory.getLogger(SelfSignedCertificate.class);

    private final Path keystore;
    private final char[] password;

    private SelfSignedCertificate(Path keystore, char[] password) {
        this.keystore = keystore;
        this.password = password;
    }

    /** Loads the certificate in {@code directory}, generating it first if it is not there yet. */
    public static synchronized SelfSignedCertificate loadOrCreate(Path directory) throws IOException, GeneralSecurityException {
        Files.createDirectories(directory);
        Path keystore = directory.resolve(KEYSTORE_FILE);
        Path passwordFile = directory.resolve(PASSWORD_FILE);
        if (!Files.exists(keystore) || !Files.exists(passwordFile)) generate(directory, keystore, passwordFile);
        char[] password = Files.readString(passwordFile, StandardCharsets.US_ASCII).strip().toCharArray();
        return new SelfSignedCertificate(keystore, password);
    }

    private static void generate(Path directory, Path keystore, Path passwordFile) throws IOException {
        String password = Keytool.password();
        Path temporary = Files.createTempFile(directory, "selfsigned", ".p12.tmp");
        Files.delete(temporary); // keytool refuses to write into an existing empty file
        Keytool.run(password, List.of("-genkeypair", "-noprompt",
                "-alias", ALIAS, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-validity", "3650", "-dname", "CN=localhost, O=Cairn self-signed",
                "-ext", "SAN=DNS:localhost,IP:127.0.0.1",
                "-storetype", "PKCS12", "-keystore", temporary.toString()));
        Path temporaryPassword = directory.resolve(PASSWORD_FILE + ".tmp");
        Files.writeString(temporaryPassword, password + "\n", StandardCharsets.US_ASCII);
        try {
            Files.setPosixFilePermissions(temporaryPassword, PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // best effort on file systems without POSIX permissions
        }
        // Password first: a keystore without its password file is regenerated on the next start.
        TlsFiles.move(temporaryPassword, passwordFile);
        TlsFiles.move(temporary, keystore);
        log.info("generated a self-signed certificate for localhost in {}", keystore);
    }

    public Path keystore() { return keystore; }

    public SSLContext serverContext() throws IOException, GeneralSecurityException {
        return TlsContexts.fromPkcs12(keystore, password);
    }

    public X509Certificate certificate() throws IOException, GeneralSecurityException {
        return (X509Certificate) load().getCertificate(ALIAS);
    }

    /**
     * Writes the certificate ({@code BEGIN CERTIFICATE}) and its key (unencrypted PKCS#8,
     * {@code BEGIN PRIVATE KEY}, owner-only) as PEM files, the key first: a certificate file
     * without its key would stop the next start, a key without its certificate is written again.
     * A key file that holds another key is left alone, and false returned: it is the operator's.
     */
    public boolean writePem(Path certificateFile, Path keyFile) throws IOException, GeneralSecurityException {
        KeyStore ks = load();
        PrivateKey key = (PrivateKey) ks.getKey(ALIAS, password);
        if (Files.exists(keyFile) && !holds(keyFile, key)) return false;
        for (Path file : new Path[] {certificateFile, keyFile}) {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
        }
        TlsFiles.writePrivate(keyFile, TlsFiles.pem("PRIVATE KEY", key.getEncoded()));
        TlsFiles.write(certificateFile, TlsFiles.pem("CERTIFICATE", ks.getCertificate(ALIAS).getEncoded()));
        return true;
    }

    private static boolean holds(Path keyFile, PrivateKey key) throws IOException {
        try {
            return java.util.Arrays.equals(TlsContexts.readPrivateKey(keyFile).getEncoded(), key.getEncoded());
        } catch (GeneralSecurityException unreadable) {
            return false;
        }
    }

    private KeyStore load() throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, password);
        }
        return ks;
    }
}
