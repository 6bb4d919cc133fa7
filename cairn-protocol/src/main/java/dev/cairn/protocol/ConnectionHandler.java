// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

/** Runs one protocol session on one connection, on its own virtual thread. */
@FunctionalInterface
public interface ConnectionHandler {
    /**
     * Serves the connection until the session ends. The server closes the connection afterwards,
     * and logs exceptions other than a client hanging up or timing out.
     */
    void handle(Connection connection) throws Exception;
}
