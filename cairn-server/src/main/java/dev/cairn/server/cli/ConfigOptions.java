// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.cluster.directory.SqliteDirectory;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.NodeConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where a command finds the node's config and data: every command that touches data takes these. */
public final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "TOML config file (default: the embedded defaults)")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "data directory (default: ./data, or `data` of the config file)")
    Path data;

    public NodeConfig load() {
        NodeConfig c = config == null ? NodeConfig.defaults() : ConfigLoader.load(config);
        return data == null ? c : c.withData(data);
    }

    /** The node's directory, for commands that change accounts (also while the server runs). */
    public SqliteDirectory openDirectory() {
        NodeConfig c = load();
        return SqliteDirectory.open(c.directoryFile(), c.directory().defaultDomain());
    }
}
