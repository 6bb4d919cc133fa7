// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.bench.Endpoint;
import dev.cairn.bench.LoadRun;
import dev.cairn.bench.Report;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.io.TempDir;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The bench against a fake server, correct or broken on purpose: it must report exactly the breakage. */
@org.junit.jupiter.api.Timeout(120)
class ImapBenchCheckerTest {

    @Test
    void aCorrectServerGivesNoErrors() throws Exception {
        Report report = runAgainst(FakeImapServer.Fault.NONE);
        assertThat(report.errors()).isEmpty();
        assertThat(report.totalOps()).isGreaterThanOrEqualTo(800);
        for (String kind : List.of("login", "select", "fetch-flags", "fetch-body", "store", "expunge", "append", "logout")) {
            assertThat(report.kind(kind)).as(kind).isNotNull();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "REUSE_UID, uid-reused",
        "DROP_FLAG, flag-lost",
        "FORGET_FLAG, flags-changed",
        "EXISTS_BACKWARDS, exists-backwards",
        "CORRUPT_BODY, body-mismatch",
        "UNANNOUNCED_KEYWORD, keyword-not-announced",
        "MODSEQ_BACKWARDS, modseq-backwards",
    })
    void aBrokenServerIsCaught(FakeImapServer.Fault fault, String expected) throws Exception {
        Report report = runAgainst(fault);
        assertThat(report.errors()).as(report.errorSamples().toString()).containsKey(expected);
        assertThat(report.totalErrors()).isPositive();
    }

    /**
     * Another session's STORE \Deleted and EXPUNGE slip in before this session's UID STORE: the
     * answer shows the old flags, then the EXPUNGE. That is a correct server (RFC 2180 section 4.2),
     * not a lost flag (the false positive `cairn bench imap` reported against Cairn).
     */
    @Test
    void aStoreToAMessageExpungedUnderItIsNotAFlagLoss() throws Exception {
        try (FakeImapServer server = new FakeImapServer(FakeImapServer.Fault.EXPUNGED_UNDER_STORE)) {
            Report report = run(Endpoint.plain("127.0.0.1", server.port()), 800);
            assertThat(server.expungedUnderStore.get()).isPositive();
            assertThat(report.errors()).as(report.errorSamples().toString()).isEmpty();
        }
    }

    @Test
    void synchronizingLiteralsWhenTheServerLacksLiteralPlus() throws Exception {
        try (FakeImapServer server = new FakeImapServer(FakeImapServer.Fault.NONE, false, null)) {
            Report report = run(Endpoint.plain("127.0.0.1", server.port()), 300);
            assertThat(report.errors()).as(report.errorSamples().toString()).isEmpty();
            assertThat(report.kind("append").count()).isPositive();
        }
    }

    @Test
    void implicitTls(@TempDir Path dir) throws Exception {
        try (FakeImapServer server = new FakeImapServer(FakeImapServer.Fault.NONE, true, selfSigned(dir))) {
            Report report = run(new Endpoint("127.0.0.1", server.port(), Endpoint.Tls.IMPLICIT, true, Duration.ofSeconds(30)), 300);
            assertThat(report.errors()).as(report.errorSamples().toString()).isEmpty();
            assertThat(report.totalOps()).isGreaterThanOrEqualTo(300);
        }
    }

    @Test
    void anUntrustedCertificateIsRefusedUnlessInsecure(@TempDir Path dir) throws Exception {
        try (FakeImapServer server = new FakeImapServer(FakeImapServer.Fault.NONE, true, selfSigned(dir))) {
            Report report = run(new Endpoint("127.0.0.1", server.port(), Endpoint.Tls.IMPLICIT, false, Duration.ofSeconds(30)), 0);
            assertThat(report.errors()).containsKey("connection");
            assertThat(report.totalOps()).isZero();
        }
    }

    private static Report runAgainst(FakeImapServer.Fault fault) throws Exception {
        try (FakeImapServer server = new FakeImapServer(fault)) {
            return run(Endpoint.plain("127.0.0.1", server.port()), 800);
        }
    }

    /** A count of operations, not a duration: the machine may be slow, the test must not be flaky. */
    private static Report run(Endpoint endpoint, long operations) throws Exception {
        var load = operations > 0
            ? new LoadRun.Settings(2, Duration.ZERO, Duration.ZERO, operations, false, List.of())
            : new LoadRun.Settings(2, Duration.ZERO, Duration.ofMillis(500), 0, false, List.of());
        var config = new ImapBench.Config(endpoint, "u%d", "pass", 3, 1, operations > 0 ? 8 : 0, 5, 32 * 1024, 30,
            ImapMix.defaults(), load);
        return new ImapBench(config, new PrintStream(OutputStream.nullOutputStream())).run();
    }

    /** A TLS context with a fresh self-signed certificate, made by the JDK's keytool. */
    private static SSLContext selfSigned(Path dir) throws Exception {
        Path keystore = dir.resolve("fake.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "fake", "-keyalg", "EC",
            "-dname", "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
            "-storepass", "secret", "-keypass", "secret").redirectErrorStream(true).start();
        process.getInputStream().transferTo(OutputStream.nullOutputStream());
        assertThat(process.waitFor()).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keystore)) {
            store.load(in, "secret".toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, "secret".toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }
}
