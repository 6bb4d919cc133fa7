// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

/**
 * What {@code cairn proxy} runs with (issue 21): a front-end that holds no mail. {@code shared} is
 * read by the node's own code ({@link ConfigLoader#parseProxy}): data (its TLS material and run
 * file), [directory] (a PostgreSQL url: required), the listeners, [tls], [limits], [memory],
 * [cluster] (zookeeper, root, session_timeout, connection_timeout, advertise) and [proxy]'s relay
 * keys; it has no store and no replication.
 *
 * @param name   the front-end's name in the cluster ({@code [proxy] name}: {@code frontends/NAME})
 * @param secret the cluster secret ({@code [proxy] secret_file} or {@code secret}), read as the
 *               nodes read theirs
 */
public record ProxyConfig(NodeConfig shared, String name, ReplicationSettings.KeyFiles secret) {
    /** From the shared sections as the node's loader read them, and [proxy]'s own keys (name, secret_file or secret). */
    static ProxyConfig of(NodeConfig shared, org.tomlj.TomlTable proxy, String source) {
        Object name = proxy == null ? null : proxy.get(java.util.List.of("name"));
        if (!(name instanceof String n)) throw error(source, "proxy.name", "is required: the front-end's name in the cluster");
        if (!n.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,63}")) {
            throw error(source, "proxy.name", "'" + n + "': letters, digits, '.' and '-' (at most 64), as a node's name");
        }
        Object file = proxy.get(java.util.List.of("secret_file")), inline = proxy.get(java.util.List.of("secret"));
        if (!(file instanceof String) && !(inline instanceof String)) {
            throw error(source, "proxy.secret_file", "is required: the cluster secret, the same as the nodes' [replication] secret (or secret = \"...\")");
        }
        ReplicationSettings.KeyFiles secret = new ReplicationSettings.KeyFiles(source,
                file instanceof String f ? shared.data().resolve(f) : null,
                file instanceof String ? null : ((String) inline).getBytes(java.nio.charset.StandardCharsets.UTF_8), null, null, null);
        secret.secret(); // refused now when it cannot be read or is too short
        return new ProxyConfig(shared, n, secret);
    }

    private static ConfigException error(String source, String key, String what) {
        return new ConfigException(source + ": " + key + ": " + what);
    }
}
