// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.config.ConfigLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;

/** `cairn reload`: the running node reads its certificates and the cluster secret again; given a proxy's config, the proxy its certificate. */
@Command(name = "reload", header = "Make the running node read its certificates and the cluster secret again.", description = {
        "Reads the mail listeners' certificate and key ([tls]) and replication's secret_file, certificate, key and trust "
                + "([replication]) again, from the files the node started with, through its admin endpoint (SIGHUP does the same "
                + "but cannot answer). Connections that start afterwards use them; established ones go on. Everything is read "
                + "before anything is replaced: when a file cannot be used, the command prints why in one line, exits 1, and "
                + "the node keeps all it had.",
        "Given a `cairn proxy` config, the proxy reads its mail listeners' certificate and key ([tls]) again, as on SIGHUP.",
        "Rotating the cluster secret: write the new one on every node, then reload each; until a peer has reloaded, "
                + "new connections between it and the others are refused (established ones go on)."})
public final class ReloadCommand implements Callable<Integer> {
    @Mixin ConfigOptions options;
    @CommandLine.Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        dev.cairn.server.config.NodeConfig config;
        try {
            // Reading the config reads replication's files too: a bad one is said here, before the node is asked.
            // A proxy's config ([proxy] name): the same call to the proxy, which reloads its [tls].
            config = options.config != null && ConfigLoader.isProxy(options.config) ? options.withData(ConfigLoader.loadProxy(options.config).shared())
                    : options.load();
        } catch (dev.cairn.server.config.ConfigException e) {
            throw new IllegalStateException(e.getMessage() + "; nothing reloaded");
        }
        return ReplicaCommand.print(spec, AdminClient.call(config, "POST", "/reload"));
    }
}
