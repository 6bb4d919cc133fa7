// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.DirectoryException;
import dev.cairn.directory.LocalDomains;
import dev.cairn.directory.NewUser;
import dev.cairn.directory.PasswordHasher;
import dev.cairn.directory.SqliteDirectory;
import dev.cairn.lmtp.RecipientResolver.Lookup;
import dev.cairn.lmtp.RecipientResolver.Recipient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DirectoryRecipientResolverTest {
    @TempDir Path dir;

    private SqliteDirectory directory(Optional<String> defaultDomain) {
        return SqliteDirectory.open(dir.resolve("d.db"), defaultDomain, new PasswordHasher(new PasswordHasher.Parameters(64, 1, 1), 2));
    }

    @Test
    void resolvesThroughTheDirectoryAndRefusesDisabledAccounts() {
        SqliteDirectory directory = directory(Optional.of("example.org"));
        directory.addUser(NewUser.of("alice", null));
        directory.addAlias("info@example.net", "alice");
        DirectoryRecipientResolver resolver = new DirectoryRecipientResolver(directory, LocalDomains.NONE);
        assertThat(resolver.resolve("Alice@example.org")).isEqualTo(Lookup.found("alice"));
        assertThat(resolver.resolve("alice+lists@example.org")).isEqualTo(new Lookup.Found(new Recipient("alice", Optional.of("lists"))));
        assertThat(resolver.resolve("info@example.net")).isEqualTo(Lookup.found("alice"));
        assertThat(resolver.resolve("bob@example.org")).isEqualTo(new Lookup.Unknown("no address bob@example.org and no user bob"));
        directory.setDisabled("alice", true);
        assertThat(resolver.resolve("alice@example.org")).isEqualTo(new Lookup.Disabled("the account alice is disabled"));
        directory.close();
        assertThatThrownBy(() -> resolver.resolve("alice@example.org")).isInstanceOf(DirectoryException.class);
    }

    /** What `cairn user add alice` makes: a user without address, reached as Dovecot's %Ln would. */
    @Test
    void aUserWithoutAddressReceivesAsABareNameAndInEveryLocalDomainButNoOther() {
        try (SqliteDirectory directory = directory(Optional.empty())) {
            directory.addUser(NewUser.of("alice", null));
            DirectoryRecipientResolver resolver = new DirectoryRecipientResolver(directory,
                    LocalDomains.of(List.of("mx.example.org", "localhost"), true));
            assertThat(resolver.resolve("alice")).isEqualTo(Lookup.found("alice"));
            assertThat(resolver.resolve("alice@localhost")).isEqualTo(Lookup.found("alice"));
            assertThat(resolver.resolve("Alice@MX.example.org")).isEqualTo(Lookup.found("alice"));
            assertThat(resolver.resolve("alice@example.org")).isEqualTo(new Lookup.Unknown(
                    "no address alice@example.org, and example.org is not a local domain (where user names are addresses)"));
            DirectoryRecipientResolver strict = new DirectoryRecipientResolver(directory, LocalDomains.of(List.of(), false));
            assertThat(strict.resolve("alice")).isInstanceOf(Lookup.Unknown.class);
            assertThat(strict.resolve("alice@localhost")).isInstanceOf(Lookup.Unknown.class);
        }
    }
}
