// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.Frontend;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.ProxyConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** `cairn proxy --config FILE`: a front-end that holds no mail (issue 21), until SIGTERM or Ctrl-C. */
@Command(name = "proxy", header = "Run a front-end that holds no mail: logins are relayed to the master of each user's store.", description = {
        "The config has the listeners, [tls], [limits], [directory] url (the cluster's PostgreSQL directory), [cluster] and "
                + "[proxy] (name, secret_file); no [store], no [replication]."})
public final class ProxyCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ProxyCommand.class);

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "the proxy's TOML config file")
    Path config;

    @Option(names = "--print-jvm-options", description = "print the JVM options that keep the proxy to its memory budget "
            + "([memory] total), one a line, and exit; ./cairn starts the proxy with them")
    boolean printJvmOptions;

    @CommandLine.Spec
    CommandSpec spec;

    @Override public Integer call() throws Exception {
        ProxyConfig c = ConfigLoader.loadProxy(config);
        if (printJvmOptions) {
            c.shared().memory().frontendJvmOptions().forEach(spec.commandLine().getOut()::println);
            return 0;
        }
        Frontend frontend = Frontend.start(c, Frontend.builtIn());
        Thread hook = new Thread(frontend::close, "cairn-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (CairnCommand.root(spec).handleSignals()) {
            Signals.onTerminate(frontend::requestStop);
            Signals.onHangup("the mail certificate", () -> {
                try {
                    frontend.reload();
                } catch (RuntimeException e) {
                    log.warn("reload refused, the proxy keeps its certificate: {}", e.getMessage());
                }
            });
        }
        log.info("proxy {} serving, in the cluster at {}{}", c.name(), c.shared().cluster().zookeeper(), c.shared().cluster().root());
        try {
            frontend.awaitStopRequest();
        } finally {
            frontend.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook runs anyway; close() is idempotent
            }
        }
        return 0;
    }
}
