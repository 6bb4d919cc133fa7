// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.SqlDirectory;
import dev.cairn.server.Directories;
import dev.cairn.server.Node;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.NodeConfig;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Where a command finds the node's config and data: every command that touches data takes these. */
public final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "TOML config file (default: the embedded defaults)")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "data directory (default: ./data, or `data` of the config file)")
    Path data;

    /** The config, the data directory not looked at (commands that talk to a running node). */
    public NodeConfig load() {
        return withData(config == null ? NodeConfig.defaults() : ConfigLoader.load(config));
    }

    /** {@code c} with the data directory of --data, when given. */
    NodeConfig withData(NodeConfig c) {
        return data == null ? c : c.withData(data);
    }

    /** The config of a data directory that must hold {@code what} of it (see {@link DataDirectory#requireData}). */
    NodeConfig loadExisting(java.util.function.Function<NodeConfig, Path> what) {
        NodeConfig c = load();
        DataDirectory.requireData(c, what.apply(c));
        return c;
    }

    /**
     * The node's directory, for commands that change accounts (also while the server runs): the
     * cluster's PostgreSQL (from any node, running or not), or the node's SQLite file, which must exist.
     */
    public SqlDirectory openDirectory() {
        NodeConfig c = load();
        if (Directories.shared(c)) return Directories.open(c);
        DataDirectory.requireData(c, c.directoryFile());
        return Directories.open(c);
    }

    /** The node's directory, its SQLite file made with the data directory's layout when missing (`user add`). */
    SqlDirectory createDirectory() {
        NodeConfig c = load();
        if (Directories.shared(c)) return Directories.open(c);
        DataDirectory.requireUsable(c);
        try {
            Node.createLayout(c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Directories.open(c);
    }
}
