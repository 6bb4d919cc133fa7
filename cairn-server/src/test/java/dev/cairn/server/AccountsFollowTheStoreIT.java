// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, "accounts follow the store": two `cairn serve` processes, master n1 and replica n2 of
 * one store (async). An account added once, with `cairn user add` against the running master,
 * is part of the store: the replica has it (its directory checks the password, though it refuses
 * the login as a replica), and after the master is killed (SIGKILL) and the replica promoted, the
 * user logs in there and mail to its address is accepted, with the old master still dead. A
 * password change on the new master then applies: the old password is refused, the new one
 * accepted; the old master, started again, rejoins as the replica and knows the new password
 * only. Before accounts followed the
 * store, n2 knew nobody: the login failed and the delivery bounced 550 5.1.1.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AccountsFollowTheStoreIT {
    private static final String OLD = "first password of alice", NEW = "second password of alice";

    @TempDir Path dir;
    private TestCluster cluster;
    private NodeProcesses nodes;

    @AfterEach
    void stopAll() {
        if (nodes != null) nodes.close();
    }

    private CliRun cairn(String stdin, String node, String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--config";
        all[args.length + 1] = cluster.config(node).toString();
        return CliRun.run(stdin, all);
    }

    /** The tagged answer to LOGIN on the node's IMAP listener. */
    private String login(String node, String user, String password) throws IOException {
        try (Socket s = new Socket("127.0.0.1", cluster.port(node, "imap"))) {
            s.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            out.write(("a LOGIN " + user + " \"" + password + "\"\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return tagged(in, "a");
        }
    }

    private static String tagged(BufferedReader in, String tag) throws IOException {
        String line;
        while ((line = in.readLine()) != null) if (line.startsWith(tag + " ")) return line;
        throw new IOException("closed before the answer to " + tag);
    }

    /** The answer to RCPT and, when it was 250, the answer to the message's end. */
    private String[] deliver(String node, String recipient, String subject, boolean data) throws IOException {
        try (Socket s = new Socket("127.0.0.1", cluster.port(node, "lmtp"))) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            in.readLine();
            out.write("LHLO test\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String line;
            while ((line = in.readLine()) != null && line.startsWith("250-")) { }
            out.write(("MAIL FROM:<sender@example.net>\r\nRCPT TO:<" + recipient + ">\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.readLine();
            String rcpt = in.readLine();
            if (!data || !rcpt.startsWith("250")) return new String[]{rcpt, null};
            out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.readLine();
            out.write(("From: sender@example.net\r\nTo: " + recipient + "\r\nSubject: " + subject + "\r\n\r\nhello\r\n.\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String[]{rcpt, in.readLine()};
        }
    }

    /** The subjects in the user's INBOX on the node, read over IMAP. */
    private String subjects(String node, String user, String password) throws IOException {
        try (Socket s = new Socket("127.0.0.1", cluster.port(node, "imap"))) {
            s.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            out.write(("a LOGIN " + user + " \"" + password + "\"\r\nb SELECT INBOX\r\nc FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(tagged(in, "a")).startsWith("a OK");
            assertThat(tagged(in, "b")).startsWith("b OK");
            StringBuilder subjects = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("c ")) if (line.startsWith("Subject: ")) subjects.append(line).append('\n');
            return subjects.toString();
        }
    }

    @Test
    void anAccountAddedOnceOnTheMasterLogsInAndReceivesMailOnThePromotedReplica() throws Exception {
        cluster = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                .disable("pop3").replicated("accounts test cluster secret", "async").replication("slot = \"s0\"", "sync_timeout = \"2s\"")
                .build();
        nodes = new NodeProcesses(cluster, dir);
        nodes.start("n2");
        nodes.start("n1");
        eventually(Duration.ofSeconds(30), () -> assertThat(nodes.admin("n1", "GET", "/replication/status"))
                .contains(" connected").doesNotContain("disconnected"));

        CliRun added = cairn(OLD + "\n", "n1", "user", "add", "alice", "--password-stdin", "--address", "alice@example.org");
        assertThat(added.status()).as(added.err()).isZero();
        assertThat(added.out()).contains("added alice <alice@example.org>");

        // The replica has the account: its directory checks the password (a replica then refuses the
        // login for now: NO [UNAVAILABLE]; a wrong password is AUTHENTICATIONFAILED), and lists it.
        eventually(Duration.ofSeconds(20), () -> assertThat(login("n2", "alice", OLD)).startsWith("a NO [UNAVAILABLE]"));
        assertThat(login("n2", "alice", "not her password")).startsWith("a NO [AUTHENTICATIONFAILED]");
        CliRun listed = cairn("", "n2", "user", "list");
        assertThat(listed.status()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("alice <alice@example.org>");
        // A change on the replica is refused in one line that names the master.
        CliRun refused = cairn(NEW + "\n", "n2", "user", "passwd", "alice", "--password-stdin");
        assertThat(refused.status()).isNotZero();
        assertThat(refused.err().strip()).contains("its master n1 ").doesNotContain("\n");

        nodes.kill("n1");
        assertThat(nodes.admin("n2", "POST", "/replication/promote?store=s1")).contains("mastered here");

        // At once, with the old master still dead: the login works, the address is known.
        assertThat(login("n2", "alice", OLD)).startsWith("a OK");
        assertThat(deliver("n2", "alice@example.org", "", false)[0]).startsWith("250");

        // With the old master still dead the promoted master writes alone (degraded, issue 19):
        // deliveries and account changes need no replica.
        String[] d = deliver("n2", "alice@example.org", "after the failover", true);
        assertThat(d[0]).as("RCPT").startsWith("250");
        assertThat(d[1]).as("the delivery").startsWith("250");
        assertThat(subjects("n2", "alice", OLD)).contains("Subject: after the failover");

        CliRun changed = cairn(NEW + "\n", "n2", "user", "passwd", "alice", "--password-stdin");
        assertThat(changed.status()).as(changed.err()).isZero();
        assertThat(login("n2", "alice", OLD)).startsWith("a NO [AUTHENTICATIONFAILED]");
        assertThat(login("n2", "alice", NEW)).startsWith("a OK");

        // The former master rejoins as n2's replica and gets the account as changed meanwhile: its
        // directory checks the new password (and refuses the login as a replica's).
        nodes.start("n1");
        eventually(Duration.ofSeconds(30), () -> assertThat(login("n1", "alice", NEW)).startsWith("a NO [UNAVAILABLE]"));
        assertThat(login("n1", "alice", OLD)).startsWith("a NO [AUTHENTICATIONFAILED]");
    }
}
