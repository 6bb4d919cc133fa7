// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.directory.LocalDomains;
import dev.cairn.directory.PasswordPolicy;
import dev.cairn.imap.ImapConfig;
import dev.cairn.imap.VerifyAccess;
import dev.cairn.server.cli.CairnCommand;
import dev.cairn.server.cli.ServeCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir Path dir;

    @Test
    void defaultsAreTheEmbeddedNode() {
        NodeConfig d = NodeConfig.defaults();
        assertThat(d.data()).isEqualTo(Path.of("data"));
        assertThat(d.imap()).isEqualTo(new ListenerConfig("imap", true, new ListenAddress("127.0.0.1", 1143), false));
        assertThat(d.pop3().address()).isEqualTo(new ListenAddress("127.0.0.1", 1110));
        assertThat(d.lmtp().address()).isEqualTo(new ListenAddress("127.0.0.1", 2424));
        assertThat(d.admin().address()).isEqualTo(new ListenAddress("127.0.0.1", 8080));
        assertThat(d.imaps().enabled()).isFalse();
        assertThat(d.imaps().implicitTls()).isTrue();
        assertThat(d.directoryFile()).isEqualTo(Path.of("data", "directory.db"));
        assertThat(d.metadataDir()).isEqualTo(Path.of("data", "slot-0", "meta"));
        assertThat(d.store().sync()).isTrue();
        // An empty file is the defaults.
        assertThat(ConfigLoader.parse("", "empty.toml")).isEqualTo(d);
    }

    @Test
    void readsEveryKey() throws Exception {
        Path file = dir.resolve("cairn.toml");
        Files.writeString(file, """
                data = "/srv/cairn"
                [directory]
                file = "/etc/cairn/users.db"
                default_domain = "example.org"
                [store]
                metadata = "/ssd/slot-0"
                bodies = "/hdd/slot-0"
                sync = false
                max_message_size = "100M"
                channels = 16
                [imap]
                listen = "0.0.0.0:143"
                [imaps]
                listen = "[::]:993"
                [pop3]
                enabled = false
                [pop3s]
                listen = ":995"
                enabled = true
                [lmtp]
                listen = "127.0.0.1:24"
                [admin]
                listen = "127.0.0.1:9090"
                [tls]
                certificate = "/etc/cairn/cert.pem"
                key = "/etc/cairn/key.pem"
                [limits]
                max_connections = 500
                idle_timeout = "31m"
                max_connections_per_address = 50
                max_preauth_connections_per_address = 20
                login_timeout = "45s"
                command_memory_per_connection = "2M"
                command_memory = "300M"
                heavy_command_threads = 3
                heavy_commands_per_user = 4
                heavy_command_cpu = "45s"
                """);
        NodeConfig c = ConfigLoader.load(file);
        assertThat(c.data()).isEqualTo(Path.of("/srv/cairn"));
        assertThat(c.directoryFile()).isEqualTo(Path.of("/etc/cairn/users.db"));
        assertThat(c.directory().defaultDomain()).contains("example.org");
        assertThat(c.store()).isEqualTo(new StoreConfig(Path.of("/ssd/slot-0"), Path.of("/hdd/slot-0"), false, 100L << 20, 16,
                dev.cairn.store.DefaultFolder.STANDARD));
        assertThat(c.imap()).isEqualTo(new ListenerConfig("imap", true, new ListenAddress("0.0.0.0", 143), false));
        assertThat(c.imaps()).isEqualTo(new ListenerConfig("imaps", true, new ListenAddress("::", 993), true));
        assertThat(c.pop3().enabled()).isFalse();
        assertThat(c.pop3s().address()).isEqualTo(new ListenAddress("0.0.0.0", 995));
        assertThat(c.lmtp().address().port()).isEqualTo(24);
        assertThat(c.admin().address().port()).isEqualTo(9090);
        assertThat(c.certificateFile()).isEqualTo(Path.of("/etc/cairn/cert.pem"));
        assertThat(c.limits()).isEqualTo(new LimitsConfig(500, Duration.ofMinutes(31), 50, 20, Duration.ofSeconds(45),
                2L << 20, 300L << 20, 3, 4, Duration.ofSeconds(45)));
        assertThat(c.limits().heavyWork()).isEqualTo(new ImapConfig.HeavyWork(3, 4, Duration.ofSeconds(45),
                ImapConfig.HeavyWork.DEFAULT.streams()));
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\ncommand_memory_per_connection = \"1K\"", "c"))
                .hasMessageContaining("limits.command_memory_per_connection: must hold at least one command line");
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\nmax_preauth_connections_per_address = 0", "c"))
                .hasMessageContaining("limits.max_preauth_connections_per_address: 0 is not between 1");
        // Relative paths are under the data directory.
        NodeConfig relative = ConfigLoader.parse("data = \"d\"\n[store]\nmetadata = \"m\"\n", "x");
        assertThat(relative.metadataDir()).isEqualTo(Path.of("d", "m"));
    }

    /** The IMAP heavy-command pool and budgets: defaults as the IMAP server's, each bound at its edge. */
    @Test
    void heavyCommandLimitsAreReadAndCheckedAtTheirBounds() {
        assertThat(NodeConfig.defaults().limits().heavyWork()).isEqualTo(ImapConfig.HeavyWork.DEFAULT);
        assertThat(ConfigLoader.parse("[limits]\nheavy_command_threads = 1", "c").limits().heavyCommandThreads()).isEqualTo(1);
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\nheavy_command_threads = 0", "c"))
                .hasMessage("c: limits.heavy_command_threads: 0 is not between 1 and 1024");
        assertThat(ConfigLoader.parse("[limits]\nheavy_command_threads = 1024", "c").limits().heavyCommandThreads()).isEqualTo(1024);
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\nheavy_command_threads = 1025", "c"))
                .hasMessage("c: limits.heavy_command_threads: 1025 is not between 1 and 1024");
        assertThat(ConfigLoader.parse("[limits]\nheavy_commands_per_user = 1", "c").limits().heavyCommandsPerUser()).isEqualTo(1);
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\nheavy_commands_per_user = 0", "c"))
                .hasMessage("c: limits.heavy_commands_per_user: 0 is not between 1 and 2147483647");
        assertThat(ConfigLoader.parse("[limits]\nheavy_command_cpu = \"1s\"", "c").limits().heavyCommandCpu())
                .isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\nheavy_command_cpu = \"0s\"", "c"))
                .hasMessage("c: limits.heavy_command_cpu: must be at least 1s");
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\nheavy_command_cpu = \"fast\"", "c"))
                .hasMessageStartingWith("c: limits.heavy_command_cpu: ");
    }

    @Test
    void trustedNetworksOfVerificationLogins() {
        assertThat(NodeConfig.defaults().trustedNetworks()).isEqualTo(VerifyAccess.LOOPBACK);
        NodeConfig c = ConfigLoader.parse("[imap]\ntrusted_networks = [\"10.1.0.0/16\", \"fd00::1\"]", "c");
        assertThat(c.imap().enabled()).isTrue();
        assertThat(c.trustedNetworks()).extracting(Object::toString).containsExactly("10.1.0.0/16", "fd00:0:0:0:0:0:0:1/128");
        assertThat(c.trustedNetworks().getFirst().contains(InetAddress.ofLiteral("10.1.255.3"))).isTrue();
        assertThat(c.trustedNetworks().getFirst().contains(InetAddress.ofLiteral("10.2.0.1"))).isFalse();
        assertThat(c.trustedNetworks().getFirst().contains(InetAddress.ofLiteral("127.0.0.1"))).isFalse();
        assertThat(ConfigLoader.parse("[imap]\ntrusted_networks = []", "c").trustedNetworks()).isEmpty();
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\ntrusted_networks = \"10.0.0.0/8\"", "c"))
                .hasMessageContaining("imap.trusted_networks: must be a list");
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\ntrusted_networks = [\"10.0.0.0/33\"]", "c"))
                .hasMessageContaining("imap.trusted_networks: prefix /33 too long");
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\ntrusted_networks = [\"mail.example.org\"]", "c"))
                .hasMessageContaining("imap.trusted_networks: 'mail.example.org' is not an address block");
        assertThatThrownBy(() -> ConfigLoader.parse("[pop3]\ntrusted_networks = []", "c"))
                .hasMessageContaining("pop3.trusted_networks: unknown key");
    }

    @Test
    void plaintextAuthNetworksOfImapAndPop3ForNginx() {
        assertThat(NodeConfig.defaults().imap().plaintextAuthNetworks()).isEmpty();
        NodeConfig c = ConfigLoader.parse("[imap]\nplaintext_auth_networks = [\"10.0.0.5\"]\n[pop3]\nplaintext_auth_networks = [\"10.0.0.0/24\"]\n", "c");
        assertThat(c.imap().plaintextAuthNetworks()).extracting(Object::toString).containsExactly("10.0.0.5/32");
        assertThat(c.pop3().plaintextAuthNetworks()).extracting(Object::toString).containsExactly("10.0.0.0/24");
        assertThat(c.imap().enabled()).isTrue();
        assertThat(c.imap().address()).isEqualTo(NodeConfig.defaults().imap().address());
        assertThat(c.trustedNetworks()).isEqualTo(VerifyAccess.LOOPBACK); // a different list
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\nplaintext_auth_networks = [\"nginx.example.org\"]", "c"))
                .hasMessageContaining("imap.plaintext_auth_networks: 'nginx.example.org' is not an address block");
        assertThatThrownBy(() -> ConfigLoader.parse("[lmtp]\nplaintext_auth_networks = []", "c"))
                .hasMessageContaining("lmtp.plaintext_auth_networks: unknown key");
        assertThatThrownBy(() -> ConfigLoader.parse("[imaps]\nplaintext_auth_networks = []", "c"))
                .hasMessageContaining("imaps.plaintext_auth_networks: unknown key");
    }

    /** Found while fuzzing the config loader: a trusted network that looks like hex ("beef") was looked up in DNS. */
    @Test
    void trustedNetworksAreLiteralAddressesNeverLookedUp() {
        OfflineResolverProvider.asked.clear();
        OfflineResolverProvider.offline = true;
        try {
            for (String name : List.of("beef", "cafe", "dead.beef")) {
                assertThatThrownBy(() -> ConfigLoader.parse("[imap]\ntrusted_networks = [\"" + name + "\"]", "c"))
                        .hasMessageContaining("imap.trusted_networks: '" + name + "' is not an address block");
            }
            assertThat(ConfigLoader.parse("[imap]\ntrusted_networks = [\"1.2.3\", \"fd00::/8\"]", "c").trustedNetworks())
                    .extracting(Object::toString).containsExactly("1.2.0.3/32", "fd00:0:0:0:0:0:0:0/8");
        } finally {
            OfflineResolverProvider.offline = false;
        }
        assertThat(OfflineResolverProvider.asked).isEmpty();
    }

    @Test
    void unknownKeysAreErrorsNamingTheKey() {
        assertThatThrownBy(() -> ConfigLoader.parse("datta = \"x\"", "cairn.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cairn.toml: datta: unknown key");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\nmax_msg_size = 5", "cairn.toml"))
                .hasMessageContaining("store.max_msg_size: unknown key");
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\nport = 143", "cairn.toml"))
                .hasMessageContaining("imap.port: unknown key");
        assertThatThrownBy(() -> ConfigLoader.parse("[smtp]\nlisten = \":25\"", "cairn.toml"))
                .hasMessageContaining("cairn.toml: [smtp]: unknown section");
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\nidle = 5", "cairn.toml"))
                .hasMessageContaining("limits.idle: unknown key");
    }

    @Test
    void theAuthHttpEndpointOfNginxIsReadWithItsKeyFileUnderTheDataDirectory() throws Exception {
        assertThat(ConfigLoader.parse("", "c").authHttp()).isNull();
        NodeConfig c = ConfigLoader.parse("data = \"" + dir + "\"\n[proxy]\nauth_http = \"127.0.0.1:9143\"\n"
                + "auth_http_key_file = \"auth_http.key\"", "c");
        assertThat(c.authHttp()).isEqualTo(new AuthHttpSettings(new ListenAddress("127.0.0.1", 9143), dir.resolve("auth_http.key")));
        assertThatThrownBy(() -> ConfigLoader.parse("[proxy]\nauth_http = \"127.0.0.1:9143\"", "c"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("proxy.auth_http_key_file: needed with proxy.auth_http");
        assertThatThrownBy(() -> ConfigLoader.parse("[proxy]\nauth_http_key_file = \"k\"", "c"))
                .hasMessageContaining("proxy.auth_http_key_file: only with proxy.auth_http");
        assertThatThrownBy(() -> ConfigLoader.parse("[proxy]\nauth_http = \"9143\"\nauth_http_key_file = \"k\"", "c"))
                .hasMessageContaining("proxy.auth_http:");
        assertThatThrownBy(() -> ConfigLoader.parse("[proxy]\nauth_http_url = \"x\"", "c"))
                .hasMessageContaining("proxy.auth_http_url: unknown key");
    }

    @Test
    void theAuthHttpKeyIsRefusedOneCharacterShortOfItsMinimumAndWhenNginxCouldNotQuoteIt() throws Exception {
        AuthHttpSettings s = new AuthHttpSettings(new ListenAddress("127.0.0.1", 9143), dir.resolve("key"));
        String minimum = "k".repeat(AuthHttpSettings.MIN_KEY_LENGTH);
        Files.writeString(s.keyFile(), minimum.substring(1) + "\n");
        assertThatThrownBy(s::key).isInstanceOf(ConfigException.class).hasMessageContaining("fewer than 16 characters");
        Files.writeString(s.keyFile(), "  " + minimum + "\n");
        assertThat(s.key()).isEqualTo(minimum);
        Files.writeString(s.keyFile(), minimum + "\"x\n");
        assertThatThrownBy(s::key).hasMessageContaining("printable ASCII");
        Files.delete(s.keyFile());
        assertThatThrownBy(s::key).hasMessageContaining("cannot read");
    }

    /** The README once showed "[listener]" for "any of [imap], [pop3], ..."; a file with it must not start with defaults. */
    @Test
    void aListenerSectionIsRefusedLikeAnyUnknownSection() {
        assertThatThrownBy(() -> ConfigLoader.parse("[listener]\nlisten = \"0.0.0.0:143\"\nenabled = true", "cairn.toml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("cairn.toml: [listener]: unknown section (known here: admin, cluster, data, directory, imap,");
    }

    @Test
    void theMemoryTotalIsReadAtItsLimitsAndRefusedOneOctetBeyond() {
        long min = MemoryConfig.MIN_TOTAL, max = MemoryConfig.MAX_TOTAL;
        assertThat(ConfigLoader.parse("[memory]\ntotal = " + min, "c").memory().total()).isEqualTo(min);
        assertThat(ConfigLoader.parse("[memory]\ntotal = \"1T\"", "c").memory().total()).isEqualTo(max);
        assertThatThrownBy(() -> ConfigLoader.parse("[memory]\ntotal = " + (min - 1), "c")).isInstanceOf(ConfigException.class)
                .hasMessage("c: memory.total: " + (min - 1) + " is not between 192M and 1T");
        assertThatThrownBy(() -> ConfigLoader.parse("[memory]\ntotal = " + (max + 1), "c")).isInstanceOf(ConfigException.class)
                .hasMessage("c: memory.total: " + (max + 1) + " is not between 192M and 1T");
        assertThatThrownBy(() -> ConfigLoader.parse("[memory]\nheap = \"1G\"", "c")).hasMessageContaining("memory.heap: unknown key");
    }

    @Test
    void theMemoryBudgetSplitsIntoHeapStoreAndTheJvmsOwn() {
        MemoryConfig memory = NodeConfig.defaults().memory();
        assertThat(memory.total()).isEqualTo(MemoryConfig.DEFAULT_TOTAL);
        assertThat(memory.heap() + memory.store() + MemoryConfig.JVM_NATIVE).isEqualTo(memory.total());
        // The split the README and docs/operations.md state.
        assertThat(memory.heap()).isEqualTo(156L << 20);
        assertThat(memory.store()).isEqualTo(68L << 20);
        assertThat(memory.jvmOptions()).contains("-Xmx" + (memory.heap() >> 20) + "m");
        MemoryConfig smallest = ConfigLoader.parse("[memory]\ntotal = \"192M\"", "c").memory();
        // The smallest budget still leaves RocksDB more than its minimum and the heap room for commands.
        assertThat(smallest.store()).isGreaterThanOrEqualTo(dev.cairn.store.rocks.StoreMemory.MIN_CAPACITY);
        assertThat(smallest.heap()).isGreaterThanOrEqualTo(64L << 20);
    }

    @Test
    void servePrintsTheJvmOptionsOfTheConfiguredBudgetWithoutStarting() throws Exception {
        Path file = dir.resolve("cairn.toml");
        Files.writeString(file, "[memory]\ntotal = \"1G\"\n");
        java.io.StringWriter out = new java.io.StringWriter();
        CommandLine cli = CairnCommand.commandLine(new CairnCommand(new ByteArrayInputStream(new byte[0])));
        cli.setOut(new java.io.PrintWriter(out, true));
        int status = cli.execute("serve", "--config", file.toString(), "--data", dir.resolve("never-made").toString(),
                "--print-jvm-options");
        assertThat(status).isZero();
        // (1G - 96M) * 0.7 = 649.6M, whole MiB down.
        assertThat(out.toString().lines()).containsExactly("-Xmx649m", "-XX:+UseSerialGC", "-XX:NewRatio=1", "-XX:SurvivorRatio=4",
                "-XX:ReservedCodeCacheSize=48m");
        assertThat(dir.resolve("never-made")).doesNotExist();
    }

    @Test
    void aProxyPrintsTheJvmOptionsOfItsBudgetWithTheWholeRestForItsHeap() throws Exception {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "a cluster secret of more than thirty-two characters\n");
        Path file = dir.resolve("proxy.toml");
        Files.writeString(file, String.join("\n", "[memory]", "total = \"1G\"",
                "[directory]", "url = \"postgresql://127.0.0.1:1/cairn\"", "user = \"cairn\"", "password_file = \"" + secret + "\"",
                "[cluster]", "zookeeper = \"127.0.0.1:1\"",
                "[proxy]", "name = \"p1\"", "secret_file = \"" + secret + "\"") + "\n");
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        CommandLine cli = CairnCommand.commandLine(new CairnCommand(new ByteArrayInputStream(new byte[0])));
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        int status = cli.execute("proxy", "--config", file.toString(), "--print-jvm-options");
        assertThat(status).as(err.toString()).isZero();
        // no RocksDB in a front-end: (1G - 96M) * 0.8 = 742.4M, whole MiB down (a node's heap is 649M)
        assertThat(out.toString().lines()).containsExactly("-Xmx742m", "-XX:+UseSerialGC", "-XX:NewRatio=1", "-XX:SurvivorRatio=4",
                "-XX:ReservedCodeCacheSize=48m");
    }

    @Test
    void localDomainsBareNamesAndPasswordLengthAreRead() {
        NodeConfig c = ConfigLoader.parse("""
                [directory]
                min_password_length = 12
                [lmtp]
                local_domains = ["MX.Example.org", "localhost"]
                bare_names = false
                """, "c");
        assertThat(c.directory().passwordPolicy()).isEqualTo(new PasswordPolicy(12));
        assertThat(c.localDomains()).isEqualTo(LocalDomains.of(List.of("mx.example.org", "localhost"), false));
        // Unset: this machine's host name and localhost, bare names on, passwords of 8 characters.
        NodeConfig d = ConfigLoader.parse("", "c");
        assertThat(d.localDomains()).isEqualTo(MachineNames.localDomains());
        assertThat(d.localDomains().domains()).contains("localhost");
        assertThat(d.localDomains().bareNames()).isTrue();
        assertThat(d.directory().passwordPolicy().minLength()).isEqualTo(8);
        // Only bare_names given: the default domains stay.
        assertThat(ConfigLoader.parse("[lmtp]\nbare_names = false", "c").localDomains().domains())
                .isEqualTo(MachineNames.localDomains().domains());
        assertThat(ConfigLoader.parse("[lmtp]\nlocal_domains = []", "c").localDomains().domains()).isEmpty();
        assertThatThrownBy(() -> ConfigLoader.parse("[lmtp]\nlocal_domains = [\"not a domain\"]", "c"))
                .hasMessageContaining("lmtp.local_domains: 'not a domain' is not a domain name");
        assertThatThrownBy(() -> ConfigLoader.parse("[lmtp]\nlocal_domains = \"localhost\"", "c"))
                .hasMessageContaining("lmtp.local_domains: must be a list of domain names");
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\nlocal_domains = []", "c")).hasMessageContaining("imap.local_domains: unknown key");
        assertThatThrownBy(() -> ConfigLoader.parse("[directory]\nmin_password_length = 0", "c"))
                .hasMessageContaining("directory.min_password_length: 0 is not between 1 and 1024");
    }

    @Test
    void defaultFoldersAreReadInOrderWithTheirSpecialUseAndBadOnesRefusedNamingTheKey() {
        assertThat(ConfigLoader.parse("", "c").store().defaultFolders()).isEqualTo(dev.cairn.store.DefaultFolder.STANDARD);
        assertThat(ConfigLoader.parse("[store]\ndefault_folders = []", "c").store().defaultFolders()).isEmpty();
        assertThat(ConfigLoader.parse("""
                [store]
                default_folders = [{ name = "Sent Items", special_use = "SENT" }, { name = "Lists/Work" }, { name = "Bin", special_use = '\\Trash' }]
                """, "c").store().defaultFolders()).containsExactly(
                new dev.cairn.store.DefaultFolder("Sent Items", java.util.Set.of(dev.cairn.store.SpecialUse.SENT)),
                new dev.cairn.store.DefaultFolder("Lists/Work", java.util.Set.of()),
                new dev.cairn.store.DefaultFolder("Bin", java.util.Set.of(dev.cairn.store.SpecialUse.TRASH)));
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\ndefault_folders = [\"Sent\"]", "c"))
                .hasMessageContaining("store.default_folders: must be a list of folders");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\ndefault_folders = [{ name = \"Sent\", special_use = \"outbox\" }]", "c"))
                .hasMessageContaining("store.default_folders: 'outbox' (folder Sent) is not a special use");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\ndefault_folders = [{ name = \"inbox\" }]", "c"))
                .hasMessageContaining("store.default_folders: INBOX is always created");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\ndefault_folders = [{ name = \"Sent\" }, { name = \"Sent\" }]", "c"))
                .hasMessageContaining("store.default_folders: folder Sent is listed twice");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\ndefault_folders = [{ name = \"Sent\", use = \"sent\" }]", "c"))
                .hasMessageContaining("store.default_folders: unknown key 'use' in folder Sent");
    }

    @Test
    void wrongValuesAreErrorsNamingTheKey() {
        assertThatThrownBy(() -> ConfigLoader.parse("data = 5", "c")).hasMessageContaining("data: must be a string");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\nsync = \"yes\"", "c")).hasMessageContaining("store.sync: must be true or false");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\nchannels = 0", "c")).hasMessageContaining("store.channels: 0 is not between 1 and 1024");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\nchannels = 1025", "c")).hasMessageContaining("store.channels");
        assertThat(ConfigLoader.parse("[store]\nchannels = 1024", "c").store().channels()).isEqualTo(1024);
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\nmax_message_size = \"lots\"", "c")).hasMessageContaining("store.max_message_size");
        assertThatThrownBy(() -> ConfigLoader.parse("[store]\nmax_message_size = 0", "c")).hasMessageContaining("store.max_message_size: must be above 0");
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\nlisten = \"localhost\"", "c")).hasMessageContaining("imap.listen");
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\nlisten = \"127.0.0.1:65536\"", "c")).hasMessageContaining("imap.listen");
        assertThat(ConfigLoader.parse("[imap]\nlisten = \"127.0.0.1:65535\"", "c").imap().address().port()).isEqualTo(65535);
        assertThatThrownBy(() -> ConfigLoader.parse("[imap]\nlisten = \"::1:143\"", "c")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> ConfigLoader.parse("imap = 5", "c")).hasMessageContaining("imap: must be a table");
        assertThatThrownBy(() -> ConfigLoader.parse("[limits]\nidle_timeout = \"5 weeks\"", "c")).hasMessageContaining("limits.idle_timeout");
        assertThatThrownBy(() -> ConfigLoader.parse("[directory]\ndefault_domain = \"not a domain\"", "c"))
                .hasMessageContaining("directory.default_domain: 'not a domain' is not a domain name");
        assertThatThrownBy(() -> ConfigLoader.parse("data = ", "c")).isInstanceOf(ConfigException.class).hasMessageStartingWith("c:");
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.toml"))).hasMessageContaining("cannot read config");
    }

    /** Found by ConfigLoaderFuzzTest: [replication] values of the wrong shape failed without the file and key, or not with ConfigException. */
    @Test
    void replicationValuesOfTheWrongShapeAreErrorsNamingTheKey() {
        String head = "[replication]\nnode = \"n1\"\nsecret = \"0123456789abcdef\"\n";
        String peers = "[replication.peers]\nn1 = \"127.0.0.1:7101\"\n";
        assertThat(ConfigLoader.parse(head + peers, "c").replication()).isNotNull();
        for (String[] bad : new String[][] {
                {head + "[replication.peers]\nn1 = \"127.0.0.1:71x01\"\n", "c: replication.peers.n1: '127.0.0.1:71x01' has no port"},
                {head + "[replication.peers]\nn1 = 7101\n", "c: replication.peers.n1: must be a string"},
                {head + "peers = 5\n", "c: replication.peers: must be a table"},
                {head + "listen = \"nowhere\"\n" + peers, "c: replication.listen: 'nowhere' is not host:port"},
                {head + "sync_timeout = \"soon\"\n" + peers, "c: replication.sync_timeout: 'soon' is not a duration"},
                {head + "stores = 5\n" + peers, "c: replication.stores: must be a list of tables"},
                {head + "stores = [5]\n" + peers, "c: replication.stores: must be a table"},
                {head + peers + "[[replication.stores]]\nname = \"s1\"\nmaster = \"n1/s0\"\nreplicas = \"n1/s1\"\n", "c: replication.stores.replicas: must be a list"},
                {head + peers + "[[replication.stores]]\nname = \"s1\"\nmaster = \"n1/s0\"\nreplicas = [1]\n", "c: replication.stores.replicas: must be a list"}}) {
            assertThatThrownBy(() -> ConfigLoader.parse(bad[0], "c")).as(bad[0]).isInstanceOf(ConfigException.class).hasMessageStartingWith(bad[1]);
        }
    }

    @Test
    void onReplicaLossAndTheDegradedWindowAreReadWithDefaultsAndBadValuesNameTheKey() {
        String head = "[replication]\nnode = \"n1\"\nsecret = \"0123456789abcdef\"\n";
        String peers = "[replication.peers]\nn1 = \"127.0.0.1:7101\"\nn2 = \"127.0.0.1:7102\"\n";
        String store = "[[replication.stores]]\nname = \"s1\"\nmaster = \"n1/s0\"\nreplicas = [\"n2/s0\"]\n";
        var defaults = ConfigLoader.parse(head + peers + store, "c").replication().config();
        assertThat(defaults.store("s1").onReplicaLoss()).isEqualTo(dev.cairn.replication.ReplicationConfig.OnReplicaLoss.DEGRADE);
        assertThat(defaults.tuning().degradedUidWindow()).isEqualTo(262_144);
        var set = ConfigLoader.parse(head + "degraded_uid_window = 1\n" + peers + store + "on_replica_loss = \"Refuse\"\n", "c")
                .replication().config();
        assertThat(set.store("s1").onReplicaLoss()).isEqualTo(dev.cairn.replication.ReplicationConfig.OnReplicaLoss.REFUSE);
        assertThat(set.tuning().degradedUidWindow()).isEqualTo(1);
        for (String[] bad : new String[][] {
                {head + peers + store + "on_replica_loss = \"wait\"\n", "c: replication.stores.on_replica_loss: must be degrade or refuse"},
                {head + peers + store + "on_replica_loss = 1\n", "c: replication.on_replica_loss: must be a non-empty string"},
                {head + "degraded_uid_window = 0\n" + peers, "c: replication.degraded_uid_window: must be a positive number"},
                {head + "degraded_uid_window = 2147483648\n" + peers, "c: replication.degraded_uid_window: must be at most 2147483647"}}) {
            assertThatThrownBy(() -> ConfigLoader.parse(bad[0], "c")).as(bad[0]).isInstanceOf(ConfigException.class).hasMessageStartingWith(bad[1]);
        }
    }

    @Test
    void resyncChunkIsASizeFromOneKibToSixteenMib() {
        String head = "[replication]\nnode = \"n1\"\nsecret = \"0123456789abcdef\"\n";
        String peers = "[replication.peers]\nn1 = \"127.0.0.1:7101\"\n";
        assertThat(ConfigLoader.parse(head + peers, "c").replication().config().tuning().resyncChunk()).isEqualTo(1 << 20);
        assertThat(ConfigLoader.parse(head + "resync_chunk = \"256K\"\n" + peers, "c").replication().config().tuning().resyncChunk()).isEqualTo(256 << 10);
        assertThat(ConfigLoader.parse(head + "resync_chunk = 1024\n" + peers, "c").replication().config().tuning().resyncChunk()).isEqualTo(1024);
        assertThat(ConfigLoader.parse(head + "resync_chunk = \"16M\"\n" + peers, "c").replication().config().tuning().resyncChunk()).isEqualTo(16 << 20);
        for (String bad : List.of("1023", "\"17M\"", "\"lots\"")) {
            assertThatThrownBy(() -> ConfigLoader.parse(head + "resync_chunk = " + bad + "\n" + peers, "c")).as(bad)
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith("c: replication.resync_chunk:");
        }
    }

    @Test
    void commandLineOverridesTheFile() throws Exception {
        Path file = dir.resolve("cairn.toml");
        Files.writeString(file, "data = \"from-file\"\n[imap]\nlisten = \"0.0.0.0:143\"\n[lmtp]\nlisten = \"0.0.0.0:24\"\n");
        NodeConfig c = serveConfig("--config", file.toString(), "--data", "/tmp/x", "--imap", "127.0.0.1:0",
                "--pop3", "off", "--admin", "[::1]:0", "--imaps", "127.0.0.1:1993");
        assertThat(c.data()).isEqualTo(Path.of("/tmp/x"));
        assertThat(c.imap().address()).isEqualTo(new ListenAddress("127.0.0.1", 0));
        assertThat(c.pop3().enabled()).isFalse();
        assertThat(c.lmtp().address()).isEqualTo(new ListenAddress("0.0.0.0", 24));
        assertThat(c.admin().address()).isEqualTo(new ListenAddress("::1", 0));
        assertThat(c.imaps().enabled()).isTrue();

        assertThat(serveConfig()).isEqualTo(NodeConfig.defaults());
        // Refused while the command line is read, naming the option.
        assertThatThrownBy(() -> serveConfig("--imap", "nonsense")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageStartingWith("Invalid value for option '--imap': 'nonsense' is not host:port");
    }

    @Test
    void sizesAndDurations() {
        assertThat(Sizes.parseBytes("1024")).isEqualTo(1024);
        assertThat(Sizes.parseBytes("1K")).isEqualTo(1024);
        assertThat(Sizes.parseBytes("500M")).isEqualTo(500L << 20);
        assertThat(Sizes.parseBytes("2g")).isEqualTo(2L << 30);
        assertThat(Sizes.parseBytes("2GiB")).isEqualTo(2L << 30);
        assertThat(Sizes.parseBytes("1TB")).isEqualTo(1L << 40);
        assertThatThrownBy(() -> Sizes.parseBytes("-1")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> Sizes.parseBytes("1X")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> Sizes.parseBytes("99999999999T")).isInstanceOf(ConfigException.class);
        assertThat(Sizes.formatBytes(1L << 30)).isEqualTo("1G");
        assertThat(Sizes.formatBytes(1000)).isEqualTo("1000");
        assertThat(Sizes.parseDuration("90")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Sizes.parseDuration("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(Sizes.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThatThrownBy(() -> Sizes.parseDuration("m")).isInstanceOf(ConfigException.class);
        // The replication README's example: milliseconds (refused as "not a duration" before).
        assertThat(Sizes.parseDuration("200ms")).isEqualTo(Duration.ofMillis(200));
        assertThat(Sizes.parseDuration("0s")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> Sizes.parseDuration("ms")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> Sizes.parseDuration("")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> Sizes.parseDuration("-5s")).isInstanceOf(ConfigException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> Sizes.parseDuration("5x")).isInstanceOf(ConfigException.class);
        // A number of days past what a Duration holds is a config error, not an ArithmeticException.
        assertThatThrownBy(() -> Sizes.parseDuration("999999999999999d")).isInstanceOf(ConfigException.class).hasMessageContaining("too long");
    }

    private static NodeConfig serveConfig(String... args) {
        CommandLine cli = new CommandLine(new CairnCommand(new ByteArrayInputStream(new byte[0])));
        String[] all = new String[args.length + 1];
        all[0] = "serve";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine.ParseResult parsed = cli.parseArgs(all);
        return ((ServeCommand) parsed.subcommand().commandSpec().userObject()).config();
    }

    @Test
    void defaultDomainIsOptional() {
        assertThat(NodeConfig.defaults().directory().defaultDomain()).isEqualTo(Optional.empty());
    }
}
