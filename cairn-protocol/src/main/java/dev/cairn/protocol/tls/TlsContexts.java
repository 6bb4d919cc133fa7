// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** Builds server {@link SSLContext}s from a PKCS#12 keystore or PEM files, with the JDK only. */
public final class TlsContexts {
    /** TLS 1.2 and 1.3 only (RFC 8996 deprecates 1.0 and 1.1; RFC 8314 §4.1 asks for 1.2+). */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private static final Pattern PEM_KEY = Pattern.compile(
            "-----BEGIN ([A-Z ]*)PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END \\1PRIVATE KEY-----");

    private TlsContexts() {}

    /** Restricts a server-side socket to {@link #PROTOCOLS}. */
    public static void configureServer(SSLSocket socket) {
        socket.setUseClientMode(false);
        String[] supported = socket.getSupportedProtocols();
        socket.setEnabledProtocols(PROTOCOLS.stream().filter(p -> Arrays.asList(supported).contains(p)).toArray(String[]::new));
    }

    /** A server context from a PKCS#12 file holding one private key and its chain. */
    public static SSLContext fromPkcs12(Path keystore, char[] password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, password);
        }
        return fromKeyStore(ks, password);
    }

    /**
     * A server context from PEM files: a certificate chain (leaf first) and an unencrypted
     * PKCS#8 private key ({@code BEGIN PRIVATE KEY}; convert others with
     * {@code openssl pkcs8 -topk8 -nocrypt}). The key may also sit in the certificate file.
     */
    public static SSLContext fromPem(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        return fromKeyStore(pemKeyStore(certificateChain, privateKey), new char[0]);
    }

    /** The PEM chain and key as an in-memory keystore with an empty password. */
    private static KeyStore pemKeyStore(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = readCertificates(certificateChain);
        if (chain.isEmpty()) throw new GeneralSecurityException("no certificate in " + certificateChain);
        PrivateKey key = readPrivateKey(privateKey);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key, new char[0], chain.toArray(Certificate[]::new));
        return ks;
    }

    /**
     * For links whose two ends are both Cairn nodes (replication): the context presents the key's
     * certificate, on either side of the handshake, and accepts only a peer whose certificate chains
     * to one of {@code trusted} (a cluster CA, or the peers' own certificates). Host names are not
     * checked: peers are named by address, and the trust set is the cluster's own.
     */
    public static SSLContext mutual(KeyStore keys, char[] password, List<X509Certificate> trusted)
            throws IOException, GeneralSecurityException {
        if (trusted.isEmpty()) throw new GeneralSecurityException("no trusted certificate: every peer would be refused");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), trustManagers(trusted), null);
        return context;
    }

    /** {@link #mutual(KeyStore, char[], List)} with the key and chain from PEM files. */
    public static SSLContext mutualFromPem(Path certificateChain, Path privateKey, List<X509Certificate> trusted)
            throws IOException, GeneralSecurityException {
        return mutual(pemKeyStore(certificateChain, privateKey), new char[0], trusted);
    }

    private static SSLContext fromKeyStore(KeyStore ks, char[] password) throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    public static List<X509Certificate> readCertificates(Path pem) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        // The factory reads a sequence of PEM blocks but not other text around them (e.g. a key).
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        Matcher m = Pattern.compile("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----").matcher(text);
        List<X509Certificate> out = new ArrayList<>();
        while (m.find()) {
            out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.US_ASCII))));
        }
        return out;
    }

    public static PrivateKey readPrivateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        Matcher m = PEM_KEY.matcher(text);
        if (!m.find()) throw new GeneralSecurityException("no PEM private key in " + pem);
        if (!m.group(1).isEmpty()) {
            throw new GeneralSecurityException("private key in " + pem + " is '" + m.group(1).trim()
                    + "' PEM; Cairn reads unencrypted PKCS#8 (BEGIN PRIVATE KEY): convert with `openssl pkcs8 -topk8 -nocrypt`");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException wrongAlgorithm) {
                // try the next
            }
        }
        throw new GeneralSecurityException("unsupported private key algorithm in " + pem);
    }

    /** A client context trusting exactly the given certificates (tests, the proxy's back-end link). */
    public static SSLContext clientTrusting(List<X509Certificate> trusted) throws GeneralSecurityException, IOException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers(trusted), null);
        return context;
    }

    private static javax.net.ssl.TrustManager[] trustManagers(List<X509Certificate> trusted) throws GeneralSecurityException, IOException {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        for (int i = 0; i < trusted.size(); i++) ts.setCertificateEntry("trusted-" + i, trusted.get(i));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf.getTrustManagers();
    }
}
