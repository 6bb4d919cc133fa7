// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace for one node of a test (Debian's iproute2, as root), so the test can cut the
 * node off from ZooKeeper and from the other nodes while its clients still reach it. Two veth links
 * join it to this host's namespace, and this host has one more address on an interface of its own:
 * <ul>
 *   <li>the cluster link, {@code 10.A.B.0/30}: this host {@code .1}, the node {@code .2} (its
 *       replication listener); the node's only way to the cluster address {@code 10.A.B.9}, where
 *       the ZooKeeper servers and the other nodes' replication listeners are;
 *   <li>the client link, {@code 10.A.B.4/30}: this host {@code .5}, the node {@code .6} (its IMAP,
 *       LMTP and admin listeners), for the test's clients only.
 * </ul>
 * The namespace has no default route, so nothing of the cluster is reachable over the client link.
 * {@link #cut} takes this host's end of the cluster link down: packets either way are dropped
 * silently (the node's end stays up without a carrier), the node's open connections to the
 * cluster hear nothing until their own timeouts, as in a real partition; {@link #heal} brings it up.
 * A and B come from the test JVM's pid, so two test runs on one machine do not meet.
 *
 * <p>It never skips: when the namespace cannot be made (not root, no iproute2) {@link #create}
 * fails with what is missing.
 */
final class NetworkNamespace implements AutoCloseable {
    private final String name, clusterLink, clientLink, dummy, prefix;
    private final Thread reaper = new Thread(this::remove, "netns-reaper");

    private NetworkNamespace(long pid) {
        this.name = "cairn-" + pid;
        this.clusterLink = "cc" + pid;
        this.clientLink = "cl" + pid;
        this.dummy = "cd" + pid;
        this.prefix = "10." + (64 + (pid / 250) % 190) + "." + (pid % 250) + ".";
    }

    /** Makes the namespace, its links and addresses; fails (never skips) when it cannot. */
    static NetworkNamespace create() throws IOException, InterruptedException {
        NetworkNamespace n = new NetworkNamespace(ProcessHandle.current().pid());
        n.remove(); // what a killed earlier run of this pid left
        Runtime.getRuntime().addShutdownHook(n.reaper);
        try {
            n.ip("netns", "add", n.name);
            n.inside("ip", "link", "set", "lo", "up");
            n.link(n.clusterLink, 1);
            n.link(n.clientLink, 5);
            // A veth pair with both ends here holds the cluster address (the kernel may lack the dummy type).
            n.ip("link", "add", n.dummy, "type", "veth", "peer", "name", n.dummy + "p");
            n.ip("addr", "add", n.clusterAddress() + "/32", "dev", n.dummy);
            n.ip("link", "set", n.dummy + "p", "up");
            n.ip("link", "set", n.dummy, "up");
            n.inside("ip", "route", "add", n.clusterAddress() + "/32", "via", n.prefix + "1");
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            n.close();
            throw e;
        }
        return n;
    }

    /** A veth pair {@code name}r (here, PREFIX.host/30) and {@code name}n (in the namespace, PREFIX.host+1/30). */
    private void link(String link, int host) throws IOException, InterruptedException {
        ip("link", "add", link + "r", "type", "veth", "peer", "name", link + "n");
        ip("link", "set", link + "n", "netns", name);
        ip("addr", "add", prefix + host + "/30", "dev", link + "r");
        ip("link", "set", link + "r", "up");
        inside("ip", "addr", "add", prefix + (host + 1) + "/30", "dev", link + "n");
        inside("ip", "link", "set", link + "n", "up");
    }

    /** On this host, where the cluster (ZooKeeper, the other nodes' replication listeners) listens. */
    String clusterAddress() { return prefix + "9"; }

    /** The node's address on the cluster link (its replication listener). */
    String nodeClusterAddress() { return prefix + "2"; }

    /** The node's address on the client link (its IMAP, LMTP and admin listeners). */
    String nodeClientAddress() { return prefix + "6"; }

    /** The client link's network (the test's clients come from it: trust it with plain-text logins). */
    String clientNetwork() { return prefix + "4/30"; }

    /** The command prefix that runs a command in the namespace. */
    List<String> exec() { return List.of("ip", "netns", "exec", name); }

    /** The partition: no packet crosses the cluster link either way from now on. */
    void cut() throws IOException, InterruptedException { ip("link", "set", clusterLink + "r", "down"); }

    /** The partition heals. */
    void heal() throws IOException, InterruptedException { ip("link", "set", clusterLink + "r", "up"); }

    @Override public void close() {
        remove();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // shutting down, or never added
        }
    }

    /** Deletes the namespace (its ends of the links go with it, and so the pairs) and the cluster address's pair; quietly. */
    private void remove() {
        for (List<String> c : List.of(List.of("ip", "netns", "del", name), List.of("ip", "link", "del", clusterLink + "r"),
                List.of("ip", "link", "del", clientLink + "r"), List.of("ip", "link", "del", dummy))) {
            try {
                new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
            } catch (IOException e) {
                return; // no ip: nothing was made
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void inside(String... command) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(exec());
        all.addAll(List.of(command));
        run(all);
    }

    private void ip(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("ip"));
        all.addAll(List.of(args));
        run(all);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("the partition test needs network namespaces (Debian's iproute2, run as root): " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("the partition test needs network namespaces (as root, with iproute2): `" + String.join(" ", command)
                    + "` failed: " + out.strip());
        }
    }
}
