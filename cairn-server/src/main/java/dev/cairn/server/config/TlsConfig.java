// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.nio.file.Path;

/**
 * The node's certificate and key, PEM files (relative: under the data directory). When they do
 * not exist, implicit-TLS listeners stay off and STARTTLS is not offered.
 */
public record TlsConfig(Path certificate, Path key) {
}
