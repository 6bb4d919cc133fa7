// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The endpoint nginx's mail proxy asks where each login goes ({@code auth_http}; cairn-proxy's
 * AuthHttpEndpoint):
 *
 * <pre>
 * [proxy]
 * auth_http = "127.0.0.1:9143"           # where nginx's auth_http points: http://127.0.0.1:9143/auth
 * auth_http_key_file = "auth_http.key"   # (under the data directory) the key nginx sends:
 *                                        # auth_http_header X-Cairn-Auth-Key "...";
 * </pre>
 *
 * nginx speaks plain HTTP to it and sends each client's password: nginx and the nodes belong on a
 * private network.
 *
 * @param listen  where the endpoint listens
 * @param keyFile the file holding the shared key (resolved against the data directory)
 */
public record AuthHttpSettings(ListenAddress listen, Path keyFile) {
    /** A shorter key is refused: it is all that keeps anyone else from testing passwords at the endpoint. */
    public static final int MIN_KEY_LENGTH = 16;

    public AuthHttpSettings {
        Objects.requireNonNull(listen);
        Objects.requireNonNull(keyFile);
    }

    /** The key: the file's first line, without surrounding white space; read when the node starts. */
    public String key() {
        String key;
        try {
            key = Files.readString(keyFile).lines().findFirst().orElse("").strip();
        } catch (IOException e) {
            throw new ConfigException("proxy.auth_http_key_file: cannot read " + keyFile + ": " + e.getMessage());
        }
        if (key.length() < MIN_KEY_LENGTH) {
            throw new ConfigException("proxy.auth_http_key_file: the key in " + keyFile + " has fewer than " + MIN_KEY_LENGTH
                    + " characters (make one with: head -c 24 /dev/urandom | base64)");
        }
        if (key.chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x21 || c > 0x7e)) {
            throw new ConfigException("proxy.auth_http_key_file: the key in " + keyFile
                    + " must be printable ASCII without spaces, quotes or backslashes (nginx's config quotes it)");
        }
        return key;
    }
}
