// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.Node;
import dev.cairn.server.ProtocolListeners;
import dev.cairn.server.config.ListenAddress;
import dev.cairn.server.config.ListenerConfig;
import dev.cairn.server.config.NodeConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** `cairn serve`: runs one node until SIGTERM or SIGINT, then stops it cleanly and exits 0. */
@Command(name = "serve", description = {
        "Run a node. With no options: one slot in ./data, IMAP on 127.0.0.1:1143, POP3 on 1110,",
        "LMTP on 2424, admin HTTP on 8080. Each listener option takes HOST:PORT, or 'off'."})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin ConfigOptions options;

    @Option(names = "--imap", paramLabel = "ADDR", description = "IMAP (STARTTLS) listener")
    String imap;
    @Option(names = "--imaps", paramLabel = "ADDR", description = "IMAP with implicit TLS listener")
    String imaps;
    @Option(names = "--pop3", paramLabel = "ADDR", description = "POP3 (STLS) listener")
    String pop3;
    @Option(names = "--pop3s", paramLabel = "ADDR", description = "POP3 with implicit TLS listener")
    String pop3s;
    @Option(names = "--lmtp", paramLabel = "ADDR", description = "LMTP listener (for the MTA)")
    String lmtp;
    @Option(names = "--admin", paramLabel = "ADDR", description = "admin HTTP listener (/health, /metrics)")
    String admin;

    @CommandLine.Spec
    CommandSpec spec;

    /** The node's config: the defaults or the file, then the command-line overrides. */
    public NodeConfig config() {
        NodeConfig config = options.load();
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("imap", imap);
        overrides.put("imaps", imaps);
        overrides.put("pop3", pop3);
        overrides.put("pop3s", pop3s);
        overrides.put("lmtp", lmtp);
        overrides.put("admin", admin);
        for (Map.Entry<String, String> o : overrides.entrySet()) {
            if (o.getValue() == null) {
                continue;
            }
            ListenerConfig listener = config.listener(o.getKey());
            config = config.withListener(o.getValue().equalsIgnoreCase("off")
                    ? listener.disabled()
                    : listener.withAddress(ListenAddress.parse(o.getValue())));
        }
        return config;
    }

    @Override
    public Integer call() throws Exception {
        NodeConfig config = config();
        Node node = Node.start(config, ProtocolListeners.builtIn());
        // SIGTERM and SIGINT ask for an orderly stop and exit 0; the shutdown hook covers any other
        // way the JVM ends (System.exit elsewhere) so the store is closed in every case.
        Thread hook = new Thread(node::close, "cairn-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (CairnCommand.root(spec).handleSignals()) {
            Signals.onTerminate(node::requestStop);
        }
        log.info("serving {} (listening: {}); add a user with: ./cairn user add NAME --data {}",
                config.data().toAbsolutePath().normalize(), String.join(", ", node.listening()), config.data());
        CairnCommand.root(spec).onServing().accept(node);
        try {
            node.awaitStopRequest();
        } finally {
            node.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // The hook runs (or ran) anyway; close() is idempotent.
            }
        }
        return 0;
    }
}
