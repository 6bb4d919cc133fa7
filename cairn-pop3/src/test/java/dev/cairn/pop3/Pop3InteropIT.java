// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import dev.cairn.protocol.testing.ExternalProgram;
import dev.cairn.store.rocks.RocksSlotStore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.NewMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real POP3 clients (Python's poplib, fetchmail) with STLS against the server and a RocksDB store. */
class Pop3InteropIT {
    @TempDir Path dir;
    SelfSignedCertificate cert;
    Path certPem;
    SlotStore slot;
    Pop3Server server;
    final MapAuthenticator auth = new MapAuthenticator(Map.of("alice", "secret"));

    static final List<String> MESSAGES = List.of(
            "From: a@example.com\r\nSubject: one\r\n\r\nHello\r\n.dot line\r\n",
            "From: b@example.com\r\nSubject: two\r\n\r\nSecond message\r\n",
            "From: c@example.com\r\nSubject: three\r\n\r\n" + "long line ".repeat(200) + "\r\n");

    @BeforeEach
    void start() throws Exception {
        cert = SelfSignedCertificate.loadOrCreate(dir.resolve("tls"));
        certPem = dir.resolve("cert.pem");
        Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.certificate().getEncoded()) + "\n-----END CERTIFICATE-----\n");
        openStore();
        List<NewMessage> messages = new ArrayList<>();
        for (String m : MESSAGES) messages.add(new NewMessage(BodySource.of(m.getBytes(StandardCharsets.UTF_8)), Flags.NONE, Instant.now()));
        slot.openOrCreateUser("alice").append("INBOX", messages);
        startServer();
    }

    void openStore() { slot = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot"))); }

    void startServer() throws Exception {
        server = new Pop3Server(Pop3Config.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)).withTls(cert.serverContext()),
                slot, auth, new AuthThrottle());
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        slot.close();
    }

    List<String> poplib(String mode) throws Exception {
        Path python = ExternalProgram.require("python3");
        Path script = dir.resolve("pop3_client.py");
        try (InputStream in = getClass().getResourceAsStream("/pop3_client.py")) {
            Files.write(script, in.readAllBytes());
        }
        ExternalProgram.Result r = ExternalProgram.run(List.of(python.toString(), script.toString(), "127.0.0.1",
                Integer.toString(server.boundAddress().getPort()), certPem.toString(), "alice", "secret", mode), Duration.ofSeconds(60));
        assertThat(r.exit()).as(r.all()).isZero();
        return r.stdout().lines().toList();
    }

    static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static List<String> uidls(List<String> out) { return out.stream().filter(l -> l.startsWith("uidl ")).toList(); }

    @Test
    void poplibWithStlsUidlStableAcrossSessionsAndRestartsThenDelete() throws Exception {
        List<String> first = poplib("keep");
        assertThat(first).contains("welcome +OK Cairn POP3 ready", "stls +OK Begin TLS negotiation", "pass +OK Logged in, 3 messages");
        assertThat(first).anySatisfy(l -> assertThat(l).startsWith("capa ").contains("STLS"));
        assertThat(first).anySatisfy(l -> assertThat(l).startsWith("capa-after-tls ").doesNotContain("STLS"));
        int total = MESSAGES.stream().mapToInt(String::length).sum();
        assertThat(first).contains("stat 3 " + total);
        for (int i = 0; i < MESSAGES.size(); i++) {
            String expected = sha256(MESSAGES.get(i));
            int n = i + 1;
            assertThat(first).anySatisfy(l -> assertThat(l).startsWith("retr " + n + " ").endsWith(expected));
        }
        List<String> ids = uidls(first);
        assertThat(ids).hasSize(3).doesNotHaveDuplicates();

        assertThat(uidls(poplib("keep"))).isEqualTo(ids);

        // Restart the server and reopen the store from disk: same UIDLs.
        server.close();
        slot.close();
        openStore();
        startServer();
        assertThat(uidls(poplib("keep"))).isEqualTo(ids);

        List<String> deleting = poplib("delete");
        assertThat(deleting).contains("dele 1 +OK Marked to be deleted", "quit +OK Logging out, 3 messages deleted");
        assertThat(slot.user("alice").mailbox("INBOX").orElseThrow().messages()).isZero();
        assertThat(poplib("keep")).contains("stat 0 0");
    }

    @Test
    void fetchmailFetchesAndDeletesOverStls() throws Exception {
        Path fetchmail = ExternalProgram.require("fetchmail");
        Path out = Files.createDirectories(dir.resolve("fetched"));
        Path rc = dir.resolve("fetchmailrc");
        Files.writeString(rc, String.join("\n",
                "set no syslog",
                "poll 127.0.0.1 service " + server.boundAddress().getPort() + " protocol POP3 uidl",
                "  user \"alice\" there with password \"secret\" is \"root\" here",
                "  sslproto \"tls1.2+\" sslcertck sslcertfile \"" + certPem + "\" sslcommonname \"localhost\"",
                "  mda \"/bin/sh -c 'cat > " + out + "/msg-$$.eml'\"",
                ""));
        Files.setPosixFilePermissions(rc, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = Map.of("HOME", dir.toString(), "FETCHMAILHOME", dir.toString());
        ExternalProgram.Result r = ExternalProgram.run(List.of(fetchmail.toString(), "-f", rc.toString(), "-N", "-v", "--nosyslog"), env,
                Duration.ofSeconds(90));
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.all()).contains("POP3> STLS").contains("3 messages");
        List<String> fetched = new ArrayList<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path p : files.toList()) fetched.add(Files.readString(p, StandardCharsets.UTF_8));
        }
        assertThat(fetched).hasSize(3);
        // fetchmail adds its own Received header; the messages' own content arrives intact.
        for (String m : MESSAGES) {
            String body = m.substring(m.indexOf("\r\n\r\n") + 4).replace("\r\n", "\n");
            assertThat(fetched).anySatisfy(f -> assertThat(f.replace("\r\n", "\n")).contains(body));
        }
        assertThat(slot.user("alice").mailbox("INBOX").orElseThrow().messages()).isZero();
    }
}
