// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.server.config.ListenerConfig;

import java.io.IOException;
import java.util.Optional;

/**
 * Starts one protocol's server over the node's services. A protocol has a plain listener
 * (STARTTLS) and an implicit-TLS one; one server serves both, so that per-user state (POP3
 * maildrop locks, IMAP views) is shared between them. Each is given only when enabled, and at
 * least one is.
 */
@FunctionalInterface
public interface ListenerStarter {
    RunningListener start(Optional<ListenerConfig> plain, Optional<ListenerConfig> implicitTls, NodeServices services)
            throws IOException;
}
