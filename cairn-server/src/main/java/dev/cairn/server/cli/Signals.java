// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT as a request to stop. Without a handler the JVM exits with status 143
 * (128 + SIGTERM) even after a clean shutdown; a service manager then reports a failure.
 * SIGHUP reloads: a node's certificates and cluster secret (as {@code cairn reload} does, which
 * also says whether it worked; a signal can only log it), a proxy's mail certificate.
 */
final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {}

    @SuppressWarnings("restricted")
    static void onTerminate(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    log.info("SIG{}: stopping", name);
                    action.run();
                });
            } catch (IllegalArgumentException e) {
                // The JVM does not let us handle it (-Xrs): the shutdown hook still closes the node.
                log.debug("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
    }

    @SuppressWarnings("restricted")
    static void onHangup(String what, Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {
                log.info("SIGHUP: reloading {}", what);
                action.run();
            });
        } catch (IllegalArgumentException e) {
            log.debug("cannot handle SIGHUP: {}", e.getMessage());
        }
    }
}
