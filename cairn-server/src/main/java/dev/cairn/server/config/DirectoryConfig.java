// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.directory.PasswordPolicy;
import dev.cairn.directory.PostgresDirectory;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The account directory.
 *
 * @param file           the SQLite database (relative: under the data directory), used when there is no {@code postgres}
 * @param defaultDomain  the domain of users' derived addresses and of recipients given without one
 * @param passwordPolicy what a new password must be ({@code min_password_length})
 * @param postgres       the cluster's directory ({@code url}, {@code user}, {@code password_file}, {@code pool_size},
 *                       {@code timeout}); empty: the node's own SQLite file
 */
public record DirectoryConfig(Path file, Optional<String> defaultDomain, PasswordPolicy passwordPolicy,
                              Optional<PostgresDirectory.Settings> postgres) {
    public DirectoryConfig(Path file, Optional<String> defaultDomain, PasswordPolicy passwordPolicy) {
        this(file, defaultDomain, passwordPolicy, Optional.empty());
    }

    /** With the default password policy (at least {@value PasswordPolicy#DEFAULT_MIN_LENGTH} characters). */
    public DirectoryConfig(Path file, Optional<String> defaultDomain) {
        this(file, defaultDomain, PasswordPolicy.DEFAULT);
    }
}
