// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.Node;
import dev.cairn.server.ProtocolListeners;
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
@Command(name = "serve", header = "Run a node until SIGTERM or Ctrl-C.", description = {
        "With no options: one slot in ./data (created when it does not exist), IMAP on 127.0.0.1:1143, POP3 on "
                + "127.0.0.1:1110, LMTP on 127.0.0.1:2424, admin HTTP on 127.0.0.1:8080.",
        "Each listener option takes HOST:PORT, [IPv6]:PORT, :PORT (every interface) or off, and wins over the config file."})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin ConfigOptions options;

    @Option(names = "--imap", paramLabel = "ADDR", converter = OptionValues.Listen.class, description = "IMAP (STARTTLS) listener")
    OptionValues.Listen.Value imap;
    @Option(names = "--imaps", paramLabel = "ADDR", converter = OptionValues.Listen.class, description = "IMAP with implicit TLS listener")
    OptionValues.Listen.Value imaps;
    @Option(names = "--pop3", paramLabel = "ADDR", converter = OptionValues.Listen.class, description = "POP3 (STLS) listener")
    OptionValues.Listen.Value pop3;
    @Option(names = "--pop3s", paramLabel = "ADDR", converter = OptionValues.Listen.class, description = "POP3 with implicit TLS listener")
    OptionValues.Listen.Value pop3s;
    @Option(names = "--lmtp", paramLabel = "ADDR", converter = OptionValues.Listen.class, description = "LMTP listener (for the MTA)")
    OptionValues.Listen.Value lmtp;
    @Option(names = "--admin", paramLabel = "ADDR", converter = OptionValues.Listen.class,
            description = "admin HTTP listener (/health, /metrics, and the admin commands)")
    OptionValues.Listen.Value admin;

    @Option(names = "--print-jvm-options", description = "print the JVM options that keep the node to its memory budget "
            + "([memory] total), one a line, and exit; ./cairn starts the node with them")
    boolean printJvmOptions;

    @CommandLine.Spec
    CommandSpec spec;

    /** The node's config: the defaults or the file, then the command-line overrides. */
    public NodeConfig config() {
        NodeConfig config = options.load();
        Map<String, OptionValues.Listen.Value> overrides = new LinkedHashMap<>();
        overrides.put("imap", imap);
        overrides.put("imaps", imaps);
        overrides.put("pop3", pop3);
        overrides.put("pop3s", pop3s);
        overrides.put("lmtp", lmtp);
        overrides.put("admin", admin);
        for (Map.Entry<String, OptionValues.Listen.Value> o : overrides.entrySet()) {
            if (o.getValue() == null) {
                continue;
            }
            ListenerConfig listener = config.listener(o.getKey());
            config = config.withListener(o.getValue().off() ? listener.disabled() : listener.withAddress(o.getValue().address()));
        }
        return config;
    }

    @Override
    public Integer call() throws Exception {
        NodeConfig config = config();
        if (printJvmOptions) {
            config.memory().jvmOptions().forEach(spec.commandLine().getOut()::println);
            return 0;
        }
        // Refused here, before anything starts: a node that never served does not log "stopping".
        DataDirectory.requireUsable(config);
        DataDirectory.requireNotServed(config);
        Node node = Node.start(config, ProtocolListeners.builtIn());
        // SIGTERM and SIGINT ask for an orderly stop and exit 0; the shutdown hook covers any other
        // way the JVM ends (System.exit elsewhere) so the store is closed in every case.
        Thread hook = new Thread(node::close, "cairn-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (CairnCommand.root(spec).handleSignals()) {
            Signals.onTerminate(node::requestStop);
            Signals.onHangup("the certificates and the cluster secret", () -> {
                try {
                    node.reload();
                } catch (RuntimeException e) {
                    log.warn("reload refused, the node keeps its certificates and secret: {}", e.getMessage());
                }
            });
        }
        // The same options as this node's: a node of a replicated store or a cluster keeps its accounts in
        // the store, which `cairn user` reaches only through the config's [replication].
        log.info("serving {} (listening: {}); add a user with: ./cairn user add NAME {}",
                config.data().toAbsolutePath().normalize(), String.join(", ", node.listening()),
                options.config == null ? "--data " + config.data() : "--config " + options.config + (options.data == null ? "" : " --data " + options.data));
        log.info("lmtp: user names are addresses in {}{}", config.localDomains().domains().isEmpty() ? "no domain"
                : String.join(", ", config.localDomains().domains()), config.localDomains().bareNames() ? ", and bare" : "");
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
