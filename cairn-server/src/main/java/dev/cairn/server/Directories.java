// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.Directory;
import dev.cairn.directory.PasswordHasher;
import dev.cairn.directory.PostgresDirectory;
import dev.cairn.directory.SqlDirectory;
import dev.cairn.directory.SqliteDirectory;
import dev.cairn.directory.StoreDirectory;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.SlotStore;

/**
 * Which directory a node (and `cairn user`) uses, chosen here and nowhere else: the cluster's
 * PostgreSQL when {@code [directory] url} is set, else the node's own SQLite file.
 *
 * <p>Which wins, with a replicated store: in a cluster (a PostgreSQL directory) the shared
 * directory is the source of truth for every account, on masters and replicas alike, and the
 * accounts a store's slot may hold are not consulted (nor changed). A static pair without
 * PostgreSQL keeps the rule of issue 19: the store's accounts first, then the node's own file
 * ({@link StoreDirectory}).
 */
public final class Directories {
    private Directories() {}

    /** Whether the node's directory is the cluster's, shared by every node. */
    public static boolean shared(NodeConfig config) {
        return config.directory().postgres().isPresent();
    }

    /** Opens the node's directory; the SQLite file is made if missing (its folder must exist: {@link Node#createLayout}). */
    public static SqlDirectory open(NodeConfig config) {
        var d = config.directory();
        if (d.postgres().isPresent()) {
            return PostgresDirectory.open(d.postgres().get(), d.defaultDomain(), new PasswordHasher(), d.passwordPolicy());
        }
        return SqliteDirectory.open(config.directoryFile(), d.defaultDomain(), d.passwordPolicy());
    }

    /** What a node serving a replicated store asks for accounts (see the class comment). */
    public static Directory withStore(SqlDirectory directory, SlotStore store) {
        return directory instanceof SqliteDirectory own ? new StoreDirectory(own, store) : directory;
    }
}
