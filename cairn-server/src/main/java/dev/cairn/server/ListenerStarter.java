// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.server.config.ListenerConfig;

import java.io.IOException;

/** Starts one protocol's listener from its config, over the node's services. */
@FunctionalInterface
public interface ListenerStarter {
    RunningListener start(ListenerConfig listener, NodeServices services) throws IOException;
}
