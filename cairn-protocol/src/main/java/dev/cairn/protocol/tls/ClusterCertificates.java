// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A cluster's own certificate authority and its nodes' certificates, as PEM files (what
 * {@code [replication] certificate/key/trust} read): EC P-256 keys, made with the JDK's keytool.
 *
 * <p>The CA ({@code ca.pem}, {@code ca-key.pem}) signs one certificate per node; every node trusts
 * the CA's certificate only, so a node certificate from another CA, or a self-signed one, is
 * refused. A node certificate carries both TLS uses (serverAuth for the replica's listener,
 * clientAuth for the master that connects), and the node's host names and addresses.
 */
public final class ClusterCertificates {
    public static final String CA_CERTIFICATE = "ca.pem";
    public static final String CA_KEY = "ca-key.pem";
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private ClusterCertificates() {}

    /** The CA's files. */
    public record Authority(Path certificate, Path key, X509Certificate x509) {}

    /** A node's files: its chain (its certificate, then the CA's), its key, and the CA certificate to trust. */
    public record NodeFiles(Path certificate, Path key, Path trust, X509Certificate x509) {}

    /** Makes a new CA in {@code out}; refuses to replace one (every node certificate it signed would stop being trusted). */
    public static Authority createAuthority(Path out, int days) throws IOException, GeneralSecurityException {
        Files.createDirectories(out);
        Path certificate = out.resolve(CA_CERTIFICATE), key = out.resolve(CA_KEY);
        for (Path p : List.of(certificate, key)) {
            if (Files.exists(p)) throw new FileAlreadyExistsException(p + " (a new CA would leave every node certificate of the old one untrusted; move it away first)");
        }
        Path work = Files.createTempDirectory(out, ".cairn-tls-");
        try {
            String password = Keytool.password();
            Path store = work.resolve("ca.p12");
            // A random serial in the name: two clusters' CAs never look alike in a log or a chain.
            String name = "CN=Cairn cluster CA " + Keytool.password().substring(0, 8);
            Keytool.run(password, List.of("-genkeypair", "-noprompt", "-alias", "ca",
                    "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                    "-validity", Integer.toString(days), "-dname", name,
                    "-ext", "bc:c=ca:true,pathlen:0", "-ext", "ku:c=keyCertSign,cRLSign",
                    "-storetype", "PKCS12", "-keystore", store.toString()));
            KeyStore ks = load(store, password);
            X509Certificate ca = (X509Certificate) ks.getCertificate("ca");
            TlsFiles.writePrivate(key, TlsFiles.pem("PRIVATE KEY", ks.getKey("ca", password.toCharArray()).getEncoded()));
            TlsFiles.write(certificate, TlsFiles.pem("CERTIFICATE", ca.getEncoded()));
            return new Authority(certificate, key, ca);
        } finally {
            delete(work);
        }
    }

    /**
     * Issues {@code name}'s certificate from the CA in {@code caDirectory} into {@code out}
     * ({@code NAME.pem}, {@code NAME-key.pem}, and {@code ca.pem} to trust), replacing earlier
     * ones of the node (renewal). {@code hosts}: DNS names and IP addresses it is reached by.
     */
    public static NodeFiles issueNode(String name, Path caDirectory, Path out, List<String> hosts, int days)
            throws IOException, GeneralSecurityException {
        if (!HOST_NAME.matcher(name).matches() || name.length() > 253) {
            throw new IllegalArgumentException("node name '" + name + "': use letters, digits, '-' and '.' (it names the files and the certificate)");
        }
        List<String> san = new ArrayList<>();
        for (String h : hosts) san.add(subjectAlternativeName(h));
        san.addFirst("dns:" + name);
        List<X509Certificate> caChain = TlsContexts.readCertificates(caDirectory.resolve(CA_CERTIFICATE));
        if (caChain.isEmpty()) throw new GeneralSecurityException("no CA certificate in " + caDirectory.resolve(CA_CERTIFICATE));
        X509Certificate ca = caChain.getFirst();
        PrivateKey caKey = TlsContexts.readPrivateKey(caDirectory.resolve(CA_KEY));
        Files.createDirectories(out);
        Path work = Files.createTempDirectory(out, ".cairn-tls-");
        try {
            String password = Keytool.password();
            // The CA as keytool wants it, for as long as the signing takes (in a directory only the owner reads).
            Path caStore = work.resolve("ca.p12");
            KeyStore caKs = KeyStore.getInstance("PKCS12");
            caKs.load(null, null);
            caKs.setKeyEntry("ca", caKey, password.toCharArray(), new Certificate[] {ca});
            try (OutputStream o = Files.newOutputStream(caStore)) {
                caKs.store(o, password.toCharArray());
            }
            Path nodeStore = work.resolve("node.p12"), request = work.resolve("node.csr"), signed = work.resolve("node.pem");
            Keytool.run(password, List.of("-genkeypair", "-noprompt", "-alias", "node",
                    "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "CN=" + name,
                    "-storetype", "PKCS12", "-keystore", nodeStore.toString()));
            Keytool.run(password, List.of("-certreq", "-alias", "node", "-keystore", nodeStore.toString(), "-file", request.toString()));
            Keytool.run(password, List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(),
                    "-infile", request.toString(), "-outfile", signed.toString(),
                    "-sigalg", "SHA256withECDSA", "-validity", Integer.toString(days),
                    "-ext", "bc:c=ca:false", "-ext", "ku:c=digitalSignature", "-ext", "eku=serverAuth,clientAuth",
                    "-ext", "san=" + String.join(",", san)));
            List<X509Certificate> issued = TlsContexts.readCertificates(signed);
            if (issued.isEmpty()) throw new GeneralSecurityException("keytool wrote no certificate");
            X509Certificate node = issued.getFirst();
            node.verify(ca.getPublicKey());
            Path certificate = out.resolve(name + ".pem"), key = out.resolve(name + "-key.pem"), trust = out.resolve(CA_CERTIFICATE);
            TlsFiles.writePrivate(key, TlsFiles.pem("PRIVATE KEY", load(nodeStore, password).getKey("node", password.toCharArray()).getEncoded()));
            TlsFiles.write(certificate, TlsFiles.pem("CERTIFICATE", node.getEncoded()) + TlsFiles.pem("CERTIFICATE", ca.getEncoded()));
            if (!trust.toAbsolutePath().normalize().equals(caDirectory.resolve(CA_CERTIFICATE).toAbsolutePath().normalize())) {
                TlsFiles.write(trust, TlsFiles.pem("CERTIFICATE", ca.getEncoded()));
            }
            return new NodeFiles(certificate, key, trust, node);
        } finally {
            delete(work);
        }
    }

    /** keytool's form of a subject alternative name: an IP literal as ip:, anything else as dns:. */
    private static String subjectAlternativeName(String host) {
        if (host.matches("[0-9.]+") || host.contains(":")) {
            try {
                return "ip:" + InetAddress.ofLiteral(host.replaceAll("^\\[|]$", "")).getHostAddress();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("host '" + host + "' is not an IP address");
            }
        }
        if (!HOST_NAME.matcher(host).matches()) throw new IllegalArgumentException("host '" + host + "' is neither a DNS name nor an IP address");
        return "dns:" + host;
    }

    private static KeyStore load(Path store, String password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, password.toCharArray());
        }
        return ks;
    }

    private static void delete(Path directory) throws IOException {
        try (Stream<Path> all = Files.walk(directory)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
