// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.net.InetSocketAddress;
import java.util.Map;

/** A protocol server that accepts connections until closed. */
public interface RunningListener extends AutoCloseable {
    /** Bound addresses by listener name ("pop3", "pop3s"), with real ports when 0 was asked for. */
    Map<String, InetSocketAddress> addresses();

    /** Stops accepting, closes open sessions, and returns when they are gone. */
    @Override
    void close();
}
