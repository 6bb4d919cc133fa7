// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The account directory.
 *
 * @param file          the SQLite database (relative: under the data directory)
 * @param defaultDomain the domain of users' derived addresses and of recipients given without one
 */
public record DirectoryConfig(Path file, Optional<String> defaultDomain) {
}
