// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.protocol.tls.ClusterCertificates;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `cairn tls ca|node`: the cluster's own CA and each node's certificate, for encrypted replication. */
@Command(name = "tls", description = "Certificates for replication between nodes (PEM files).",
        subcommands = {TlsCommand.Ca.class, TlsCommand.Node.class})
public final class TlsCommand implements Runnable {
    @CommandLine.Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    @Command(name = "ca", description = {"Create the cluster's certificate authority: DIR/ca.pem (every node trusts it)",
            "and DIR/ca-key.pem (signs node certificates; keep it off the nodes). Refuses to replace an existing one."})
    public static final class Ca implements Callable<Integer> {
        @CommandLine.Spec CommandSpec spec;
        @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
        @Option(names = "--days", paramLabel = "N", defaultValue = "3650", description = "validity (default: ${DEFAULT-VALUE})") int days;

        @Override public Integer call() throws Exception {
            if (days < 1) throw new IllegalArgumentException("--days must be at least 1");
            ClusterCertificates.Authority ca;
            try {
                ca = ClusterCertificates.createAuthority(out, days);
            } catch (FileAlreadyExistsException e) {
                throw new IllegalStateException("there is a CA already: " + e.getFile());
            }
            PrintWriter o = spec.commandLine().getOut();
            o.println("wrote " + ca.certificate().toAbsolutePath().normalize() + " (" + ca.x509().getSubjectX500Principal().getName()
                    + ", valid until " + ca.x509().getNotAfter().toInstant() + ") and its key " + ca.key().toAbsolutePath().normalize());
            o.println("next, for each node: cairn tls node NAME --ca " + out + " --out DIR [--host NAME-OR-ADDRESS ...]");
            o.flush();
            return 0;
        }
    }

    @Command(name = "node", description = {"Issue NAME's certificate from the CA in --ca: DIR/NAME.pem (its chain), DIR/NAME-key.pem",
            "and DIR/ca.pem (what to trust); prints the [replication] lines that turn TLS on. Run again to renew."})
    public static final class Node implements Callable<Integer> {
        @CommandLine.Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME", description = "the node's name ([replication] node)") String name;
        @Option(names = "--ca", required = true, paramLabel = "DIR", description = "where `cairn tls ca` wrote the CA") Path ca;
        @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
        @Option(names = "--host", paramLabel = "HOST", description = "a DNS name or IP address of the node (repeatable)") List<String> hosts = List.of();
        @Option(names = "--days", paramLabel = "N", defaultValue = "825", description = "validity (default: ${DEFAULT-VALUE})") int days;

        @Override public Integer call() throws Exception {
            if (days < 1) throw new IllegalArgumentException("--days must be at least 1");
            ClusterCertificates.NodeFiles n;
            try {
                n = ClusterCertificates.issueNode(name, ca, out, hosts, days);
            } catch (NoSuchFileException e) {
                throw new IllegalStateException("no CA in " + ca + " (" + e.getFile() + " is missing): make one with `cairn tls ca --out " + ca + "`");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot use the CA in " + ca + ": " + e.getMessage());
            }
            PrintWriter o = spec.commandLine().getOut();
            o.println("wrote the certificate of " + name + " (valid until " + n.x509().getNotAfter().toInstant() + "), its key and the CA to trust in "
                    + out.toAbsolutePath().normalize() + "; copy them to " + name + " and put in its config:");
            o.println("[replication]");
            o.println("tls = true");
            o.println("certificate = \"" + toml(n.certificate()) + "\"");
            o.println("key = \"" + toml(n.key()) + "\"");
            o.println("trust = \"" + toml(n.trust()) + "\"");
            o.flush();
            return 0;
        }

        /** An absolute path as a TOML basic string. */
        private static String toml(Path p) {
            return p.toAbsolutePath().normalize().toString().replace("\\", "\\\\").replace("\"", "\\\"");
        }
    }
}
