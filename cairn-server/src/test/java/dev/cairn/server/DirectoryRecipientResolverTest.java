// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.directory.DirectoryException;
import dev.cairn.cluster.directory.NewUser;
import dev.cairn.cluster.directory.PasswordHasher;
import dev.cairn.cluster.directory.SqliteDirectory;
import dev.cairn.lmtp.RecipientResolver.Recipient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DirectoryRecipientResolverTest {
    @TempDir Path dir;

    @Test
    void resolvesThroughTheDirectoryAndRefusesDisabledAccounts() {
        SqliteDirectory directory = SqliteDirectory.open(dir.resolve("d.db"), Optional.of("example.org"),
                new PasswordHasher(new PasswordHasher.Parameters(64, 1, 1), 2));
        directory.addUser(NewUser.of("alice", null));
        directory.addAlias("info@example.net", "alice");
        DirectoryRecipientResolver resolver = new DirectoryRecipientResolver(directory);
        assertThat(resolver.resolve("Alice@example.org")).contains(Recipient.of("alice"));
        assertThat(resolver.resolve("alice+lists@example.org")).contains(new Recipient("alice", Optional.of("lists")));
        assertThat(resolver.resolve("info@example.net")).contains(Recipient.of("alice"));
        assertThat(resolver.resolve("bob@example.org")).isEmpty();
        directory.setDisabled("alice", true);
        assertThat(resolver.resolve("alice@example.org")).isEmpty();
        directory.close();
        assertThatThrownBy(() -> resolver.resolve("alice@example.org")).isInstanceOf(DirectoryException.class);
    }
}
