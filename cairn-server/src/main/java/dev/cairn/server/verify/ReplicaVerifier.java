// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.verify;

import dev.cairn.imap.VerifyAccess;
import dev.cairn.imap.client.ImapResponse;
import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.server.config.ListenAddress;
import dev.cairn.server.config.NodeConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * `cairn replica verify`: logs into IMAP on one node (normally the master) and on each other node
 * with the read-only verification login ({@link VerifyAccess}), reads what a client sees of each
 * user ({@link ImapView}) and prints every difference, one line each.
 */
public final class ReplicaVerifier {
    /** Differences printed per pair of nodes; the rest are counted. */
    static final int MAX_PRINTED = 200;

    /** Where a node's IMAP is and how to reach it, from its config. */
    public record Target(String name, InetSocketAddress address, boolean implicitTls, SSLContext tls, boolean verifyHostname,
                         byte[] secret) {

        /** From a node's config: its IMAP (or IMAPS) listener, its certificate, its cluster secret. */
        public static Target of(NodeConfig config, String fallbackName) throws IOException {
            if (config.replication() == null) {
                throw new IllegalArgumentException(fallbackName + ": no [replication] section, so no cluster secret for the verification login");
            }
            boolean implicit = !config.imap().enabled();
            if (implicit && !config.imaps().enabled()) throw new IllegalArgumentException(fallbackName + ": neither [imap] nor [imaps] is enabled");
            ListenAddress listen = implicit ? config.imaps().address() : config.imap().address();
            InetAddress host = InetAddress.getByName(listen.host());
            // a wildcard bind is reached over loopback from this machine
            if (host.isAnyLocalAddress()) host = InetAddress.getLoopbackAddress();
            SSLContext tls = null;
            boolean verifyHostname = false;
            try {
                Path selfSigned = config.tlsDir() == null ? null : config.tlsDir().resolve(SelfSignedCertificate.KEYSTORE_FILE);
                if (Files.isRegularFile(config.certificateFile())) {
                    tls = TlsContexts.clientTrusting(TlsContexts.readCertificates(config.certificateFile()));
                } else if (selfSigned != null && Files.isRegularFile(selfSigned)) {
                    tls = TlsContexts.clientTrusting(List.of(SelfSignedCertificate.loadOrCreate(config.tlsDir()).certificate()));
                } else {
                    // no certificate file here: the system's trust store, and the name must match
                    tls = SSLContext.getDefault();
                    verifyHostname = true;
                }
            } catch (GeneralSecurityException e) {
                throw new IOException(fallbackName + ": cannot load the node's certificate: " + e.getMessage(), e);
            }
            return new Target(config.replication().config().node(), new InetSocketAddress(host, listen.port()), implicit, tls,
                    verifyHostname, config.replication().config().secret());
        }
    }

    /** What one comparison of two nodes found. */
    public record Outcome(int users, int folders, int messages, int differences) {}

    private final PrintWriter out;

    public ReplicaVerifier(PrintWriter out) {
        this.out = out;
    }

    /** Compares every user on {@code reference} with {@code other}; prints differences and a summary line. */
    public Outcome compare(Target reference, Target other, List<String> users) throws IOException {
        int folders = 0, messages = 0, differences = 0;
        for (String user : users) {
            ImapView a = read(reference, user), b = read(other, user);
            List<String> found;
            if (a == null || b == null) {
                found = a == b ? List.of() : List.of(a == null ? reference.name() + " has no such user, " + other.name() + " has it"
                        : reference.name() + " has it, " + other.name() + " has no such user");
            } else {
                found = ImapView.differences(a, reference.name(), b, other.name());
                folders += a.mailboxes().size();
                messages += a.messageCount();
            }
            for (String d : found) {
                if (differences++ < MAX_PRINTED) out.println("differs: user " + user + (a == null || b == null ? ": " : ", ") + d);
            }
        }
        if (differences > MAX_PRINTED) out.println("... and " + (differences - MAX_PRINTED) + " more differences");
        String counted = users.size() + " users, " + folders + " folders, " + messages + " messages compared";
        if (differences == 0) out.println("identical: " + reference.name() + " and " + other.name() + " over IMAP (" + counted + ")");
        else out.println("DIFFERENT: " + reference.name() + " and " + other.name() + ": " + differences + " differences (" + counted + ")");
        out.flush();
        return new Outcome(users.size(), folders, messages, differences);
    }

    /** The user's view on a node, or null when the node holds no such user. */
    static ImapView read(Target node, String user) throws IOException {
        try (VerifyConnection c = VerifyConnection.open(node.address(), node.implicitTls(), node.tls(), node.verifyHostname())) {
            ImapResponse.Tagged s = c.authenticatePlain(user, VerifyAccess.IDENTITY, VerifyAccess.password(node.secret(), user));
            if (s.code() != null && s.code().name().equals("NONEXISTENT")) return null;
            if (s.status() != ImapResponse.Status.OK) {
                throw new VerifyConnection.ImapException("the verification login was refused: " + VerifyConnection.describe(s)
                        + " (is this address in the node's [imap] trusted_networks, and is the cluster secret the same?)");
            }
            return ImapView.read(c);
        } catch (IOException e) {
            throw new IOException(node.name() + " (IMAP at " + node.address().getHostString() + ":" + node.address().getPort()
                    + "), user " + user + ": " + e.getMessage(), e);
        }
    }
}
