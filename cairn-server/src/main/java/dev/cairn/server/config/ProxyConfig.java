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
}
