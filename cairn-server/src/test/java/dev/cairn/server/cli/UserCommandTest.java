// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.QuotaLimits;
import dev.cairn.directory.Recipient;
import dev.cairn.directory.SqliteDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class UserCommandTest {
    @TempDir Path dir;

    private CliRun cairn(String stdin, String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--data";
        all[args.length + 1] = dir.toString();
        return CliRun.run(stdin, all);
    }

    private SqliteDirectory directory() {
        return SqliteDirectory.open(dir.resolve("directory.db"), Optional.empty());
    }

    @Test
    void addListShowAndLogin() {
        CliRun add = cairn("s3cret-passphrase\n", "user", "add", "Alice", "--password-stdin", "--address", "alice@example.org",
                "--quota-storage", "1G", "--quota-messages", "5000", "--group", "sales");
        assertThat(add.status()).as(add.err()).isZero();
        assertThat(add.out()).contains("added alice <alice@example.org> storage=1G messages=5000 group=sales");
        assertThat(Files.exists(dir.resolve("directory.db"))).isTrue();

        CliRun list = cairn("", "user", "list");
        assertThat(list.status()).isZero();
        assertThat(list.out()).contains("alice <alice@example.org>").contains("1 user");
        assertThat(list.out()).doesNotContain("argon2").doesNotContain("s3cret");

        CliRun show = cairn("", "user", "show", "ALICE");
        assertThat(show.out()).contains("address alice@example.org").contains("created 20");

        try (SqliteDirectory d = directory()) {
            assertThat(d.authenticate("alice", "s3cret-passphrase".toCharArray())).contains("alice");
            assertThat(d.quota("alice")).isEqualTo(new QuotaLimits(1L << 30, 5000));
        }
    }

    @Test
    void passwordFromStdinWithCrlfAndWithoutNewline() {
        assertThat(cairn("one-one-one\r\nignored", "user", "add", "bob", "--password-stdin").status()).isZero();
        assertThat(cairn("two-two-two", "user", "passwd", "bob", "--password-stdin").out()).contains("password of bob changed");
        try (SqliteDirectory d = directory()) {
            assertThat(d.authenticate("bob", "one-one-one".toCharArray())).isEmpty();
            assertThat(d.authenticate("bob", "two-two-two".toCharArray())).contains("bob");
        }
    }

    @Test
    void refusals() {
        assertThat(cairn("long enough\n", "user", "add", "carol", "--password-stdin").status()).isZero();
        CliRun again = cairn("long enough\n", "user", "add", "CAROL", "--password-stdin");
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).contains("cairn: user carol exists");
        assertThat(cairn("long enough\n", "user", "add", "a/b", "--password-stdin").err()).contains("must not contain '/'");
        assertThat(cairn("\n", "user", "add", "dave", "--password-stdin").err()).contains("no password on standard input");
        assertThat(cairn("a".repeat(1025) + "\n", "user", "add", "dave", "--password-stdin").err()).contains("at most 1024");
        assertThat(cairn("a".repeat(1024) + "\n", "user", "add", "dave", "--password-stdin").status()).isZero();
        assertThat(cairn("long enough\n", "user", "add", "erin", "--password-stdin", "--quota-storage", "lots").err()).contains("not a size");
        assertThat(cairn("long enough\n", "user", "add", "erin", "--password-stdin", "--quota-messages", "-5").err()).contains(">= 0");
        // No terminal in tests: without --password-stdin the command says how to give the password.
        assertThat(cairn("", "user", "add", "erin").err()).contains("--password-stdin");
        assertThat(cairn("", "user", "passwd", "nobody", "--password-stdin").status()).isEqualTo(1);
        assertThat(cairn("", "user", "show", "nobody").err()).contains("no user nobody");
        assertThat(cairn("", "user", "bogus").status()).isEqualTo(2);
        assertThat(cairn("", "user", "add").status()).isEqualTo(2);
        try (SqliteDirectory d = directory()) {
            assertThat(d.users()).extracting(u -> u.name()).containsExactly("carol", "dave");
        }
    }

    @Test
    void setChangesQuotaGroupAddressAndDisabled() {
        cairn("", "user", "add", "frank", "--no-password");
        CliRun set = cairn("", "user", "set", "frank", "--quota-storage", "500M", "--group", "g1", "--address", "f@example.org", "--disable");
        assertThat(set.status()).as(set.err()).isZero();
        assertThat(set.out()).contains("frank <f@example.org> storage=500M messages=unlimited group=g1 DISABLED (no password)");
        assertThat(cairn("", "user", "set", "frank", "--quota-storage", "none", "--group", "none", "--enable").out())
                .contains("frank <f@example.org> storage=unlimited messages=unlimited (no password)");
        assertThat(cairn("", "user", "set", "frank", "--enable", "--disable").status()).isEqualTo(1);
    }

    @Test
    void aliases() {
        cairn("pw-of-the-test\n", "user", "add", "gina@example.org", "--password-stdin");
        assertThat(cairn("", "user", "alias", "add", "Sales@Example.org", "GINA@example.org").out())
                .contains("alias Sales@Example.org -> gina@example.org");
        assertThat(cairn("", "user", "alias", "add", "sales@example.org", "gina@example.org").err()).contains("belongs to user gina@example.org");
        assertThat(cairn("", "user", "alias", "add", "x@example.org", "nobody").err()).contains("no user nobody");
        assertThat(cairn("", "user", "alias", "list").out())
                .isEqualTo("gina@example.org -> gina@example.org (primary)\nsales@example.org -> gina@example.org\n");
        try (SqliteDirectory d = directory()) {
            assertThat(d.resolve("sales+q3@example.org")).contains(new Recipient("gina@example.org", Optional.of("q3"), false));
        }
        assertThat(cairn("", "user", "alias", "remove", "sales@example.org").status()).isZero();
        assertThat(cairn("", "user", "alias", "remove", "sales@example.org").status()).isEqualTo(1);
        assertThat(cairn("", "user", "alias", "list", "gina@example.org").out()).doesNotContain("sales");
    }

    @Test
    void deleteKeepingMail() {
        cairn("pw-of-the-test\n", "user", "add", "hank", "--password-stdin");
        cairn("", "user", "alias", "add", "h@example.org", "hank");
        CliRun delete = cairn("", "user", "delete", "Hank", "--keep-mail");
        assertThat(delete.status()).as(delete.err()).isZero();
        assertThat(delete.out()).contains("deleted hank from the directory");
        assertThat(cairn("", "user", "delete", "hank", "--keep-mail").status()).isEqualTo(1);
        try (SqliteDirectory d = directory()) {
            assertThat(d.users()).isEmpty();
            assertThat(d.resolve("h@example.org")).isEmpty();
        }
    }

    @Test
    void configFileDefaultDomainGivesPrimaryAddresses() throws Exception {
        Path config = dir.resolve("cairn.toml");
        Files.writeString(config, "[directory]\ndefault_domain = \"example.net\"\n");
        CliRun add = cairn("pw-of-the-test\n", "user", "add", "ivy", "--password-stdin", "--config", config.toString());
        assertThat(add.out()).contains("added ivy <ivy@example.net>");
        CliRun bad = cairn("", "user", "list", "--config", dir.resolve("nope.toml").toString());
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.err()).contains("cannot read config");
    }

    @Test
    void versionAndHelp() {
        assertThat(CliRun.run("", "version").out()).startsWith("cairn ");
        assertThat(CliRun.run("", "--help").out()).contains("serve").contains("user").contains("check");
        assertThat(CliRun.run("", "user", "--help").out()).contains("alias").contains("passwd");
    }
}
