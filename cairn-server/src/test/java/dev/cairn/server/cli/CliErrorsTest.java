// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.SqliteDirectory;
import dev.cairn.server.config.MachineNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Every failure of the `cairn` command is one line that names what is wrong, with a non-zero exit status. */
class CliErrorsTest {
    @TempDir Path dir;

    /** The run failed with {@code status}, printed exactly one line on standard error, and no stack trace. */
    static String oneLine(CliRun run, int status) {
        assertThat(run.status()).as(run.err()).isEqualTo(status);
        assertThat(run.err().lines().toList()).as(run.err()).hasSize(1);
        assertThat(run.err()).startsWith("cairn: ").doesNotContain("\tat ").doesNotContain("Exception");
        return run.err().strip();
    }

    private static CliRun cairn(String stdin, Path data, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--data");
        all.add(data.toString());
        return CliRun.run(stdin, all.toArray(String[]::new));
    }

    /** The commands that only read or change what is there: none may make a data directory. */
    private static final List<List<String>> EXISTING_DATA_ONLY = List.of(
            List.of("user", "list"), List.of("user", "show", "alice"), List.of("user", "passwd", "alice", "--password-stdin"),
            List.of("user", "set", "alice", "--enable"), List.of("user", "delete", "alice"),
            List.of("user", "alias", "add", "a@example.org", "alice"), List.of("user", "alias", "remove", "a@example.org"),
            List.of("user", "alias", "list"), List.of("check"));

    @Test
    void aTypoInDataIsRefusedByEveryCommandButServeAndUserAddAndCreatesNothing() {
        Path typo = dir.resolve("typo-dir");
        for (List<String> command : EXISTING_DATA_ONLY) {
            String line = oneLine(cairn("a long password\n", typo, command.toArray(String[]::new)), 1);
            assertThat(line).as(String.join(" ", command)).isEqualTo("cairn: no data directory " + typo
                    + " (`cairn serve` or `cairn user add` creates one; --data or --config says where it is)");
            assertThat(typo).as(String.join(" ", command)).doesNotExist();
        }
    }

    @Test
    void aDirectoryWithoutCairnDataIsRefusedNamingWhatIsMissing() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        for (List<String> command : EXISTING_DATA_ONLY) {
            String missing = command.getFirst().equals("check") ? "slot-0/meta" : "directory.db";
            assertThat(oneLine(cairn("a long password\n", empty, command.toArray(String[]::new)), 1)).as(String.join(" ", command))
                    .isEqualTo("cairn: " + empty + " holds no Cairn data (no " + missing + "): `cairn serve` or `cairn user add` creates it");
        }
        try (var files = Files.list(empty)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void userAddCreatesTheDataDirectoryOwnerOnlyAndSaysWhereMailReachesTheUser() throws Exception {
        Path data = dir.resolve("new");
        CliRun add = cairn("a long password\n", data, "user", "add", "alice", "--password-stdin");
        assertThat(add.status()).as(add.err()).isZero();
        assertThat(Files.getPosixFilePermissions(data)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        String host = MachineNames.hostname().map(h -> "alice@" + h + ", ").orElse("");
        assertThat(add.out()).isEqualTo("added alice storage=unlimited messages=unlimited\n"
                + "receives mail as: alice, " + host + "alice@localhost\n");
        assertThat(cairn("", data, "user", "list").out()).contains("1 user");

        CliRun withAddress = cairn("", data, "user", "add", "bob", "--no-password", "--address", "bob@example.org");
        assertThat(withAddress.out()).contains("receives mail as: bob@example.org, bob, ");

        // Where no name is an address, a user without address can receive nothing: say so.
        Path config = Files.writeString(dir.resolve("strict.toml"), "[lmtp]\nlocal_domains = []\nbare_names = false\n");
        CliRun strict = cairn("", data, "user", "add", "carol", "--no-password", "--config", config.toString());
        assertThat(strict.status()).isZero();
        assertThat(strict.err()).startsWith("cairn: warning: carol cannot receive mail: it has no address")
                .contains("give it one with --address");
    }

    @Test
    void serveOnAFileIsOneLineAndVerboseAddsTheStackTrace() throws Exception {
        Path file = Files.writeString(dir.resolve("hostname"), "vm\n");
        assertThat(oneLine(cairn("", file, "serve"), 1))
                .isEqualTo("cairn: " + file + " is a file, not a directory (the data directory: --data, or data = in the config)");
        CliRun verbose = cairn("", file, "serve", "--verbose");
        assertThat(verbose.status()).isEqualTo(1);
        assertThat(verbose.err()).startsWith("cairn: " + file + " is a file").contains("\tat dev.cairn.server.cli.");
    }

    @Test
    void aWrongOptionValueNamesTheOption() {
        assertThat(oneLine(cairn("", dir, "serve", "--imap", "notaport"), 2)).isEqualTo(
                "cairn: Invalid value for option '--imap': 'notaport' is not host:port (give HOST:PORT, [IPv6]:PORT, :PORT or off)"
                        + " (see: cairn serve --help)");
        assertThat(oneLine(cairn("", dir, "serve", "--admin", "127.0.0.1:99999"), 2)).contains("'--admin'").contains("99999");
        assertThat(oneLine(cairn("", dir, "user", "add", "x", "--no-password", "--quota-storage", "lots"), 2))
                .contains("option '--quota-storage': 'lots' is not a size");
        assertThat(oneLine(cairn("", dir, "user", "add", "x", "--no-password", "--quota-messages", "-5"), 2))
                .contains("option '--quota-messages': '-5' is not a message count");
        assertThat(oneLine(cairn("", dir, "user", "bogus"), 2))
                .isEqualTo("cairn: 'bogus' is not a command of cairn user (its commands: add, list, show, passwd, set, delete, alias, move)"
                        + " (see: cairn user --help)");
        assertThat(oneLine(cairn("", dir, "user", "list", "--frob"), 2)).contains("Unknown option: '--frob'");
        assertThat(oneLine(CliRun.run("", "user", "add"), 2)).contains("Missing required parameter: 'NAME'");
        assertThat(dir.resolve("directory.db")).doesNotExist();
    }

    @Test
    void aConfigWithAListenerSectionIsOneLine() throws Exception {
        Path config = Files.writeString(dir.resolve("cairn.toml"), "[listener]\nlisten = \"0.0.0.0:143\"\n");
        // Not `serve`: were the section accepted again, this test would start a node and never end.
        assertThat(oneLine(cairn("", dir, "user", "list", "--config", config.toString()), 1))
                .startsWith("cairn: " + config + ": [listener]: unknown section (known here: ");
    }

    @Test
    void aPasswordOneShorterThanTheMinimumIsRefusedAndOneAtTheMinimumIsTaken() throws Exception {
        Path data = dir.resolve("data");
        assertThat(oneLine(cairn("1234567\n", data, "user", "add", "alice", "--password-stdin"), 1))
                .isEqualTo("cairn: the password must be at least 8 characters (it has 7)");
        assertThat(cairn("12345678\n", data, "user", "add", "alice", "--password-stdin").status()).isZero();
        assertThat(oneLine(cairn("x\n", data, "user", "passwd", "alice", "--password-stdin"), 1)).contains("at least 8 characters");
        // Configurable: [directory] min_password_length.
        Path config = Files.writeString(dir.resolve("c.toml"), "[directory]\nmin_password_length = 12\n");
        assertThat(oneLine(cairn("12345678901\n", data, "user", "passwd", "alice", "--password-stdin", "--config", config.toString()), 1))
                .contains("at least 12 characters (it has 11)");
        assertThat(cairn("123456789012\n", data, "user", "passwd", "alice", "--password-stdin", "--config", config.toString()).status())
                .isZero();
        try (SqliteDirectory d = SqliteDirectory.open(data.resolve("directory.db"), Optional.empty())) {
            assertThat(d.authenticate("alice", "123456789012".toCharArray())).contains("alice");
        }
    }

    @Test
    void fileErrorsSayWhatIsWrongAndABugSaysItIsOne() {
        assertThat(CliErrors.describe(new AccessDeniedException("/var/lib/cairn/slot-0")))
                .isEqualTo("/var/lib/cairn/slot-0: permission denied (cairn runs as " + System.getProperty("user.name") + ")");
        assertThat(CliErrors.describe(new IllegalStateException("two\n  lines"))).isEqualTo("two lines");
        assertThat(CliErrors.describe(new NullPointerException("x is null")))
                .isEqualTo("internal error: java.lang.NullPointerException: x is null (run with --verbose for the stack trace, and report it)");
    }
}
