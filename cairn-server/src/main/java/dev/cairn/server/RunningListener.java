// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.net.InetSocketAddress;

/** A protocol listener that accepts connections until closed. */
public interface RunningListener extends AutoCloseable {
    /** The bound address (the real port when the config asked for port 0). */
    InetSocketAddress address();

    /** Stops accepting, closes open sessions, and returns when they are gone. */
    @Override
    void close();
}
