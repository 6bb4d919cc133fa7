// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.relay;

import java.net.InetAddress;

/**
 * Where an IMAP or POP3 session goes once its user is authenticated (issue 21): served here, or
 * relayed to the master of the user's store. Asked by the session after the login succeeded and
 * before it answers; a node outside a cluster has {@link #LOCAL}.
 */
@FunctionalInterface
public interface SessionRoutes {
    /**
     * @param protocol "imap" or "pop3"
     * @param user     the canonical user name the login authenticated
     * @param client   the client's address (passed on to the back-end for its logs and throttle)
     * @param secure   whether the client's connection is encrypted
     * @return where the session goes; may wait (bounded) while the user's store fails over
     */
    SessionRoute route(String protocol, String user, InetAddress client, boolean secure) throws InterruptedException;

    /** Every session is served here. */
    SessionRoutes LOCAL = (protocol, user, client, secure) -> SessionRoute.LOCAL;
}
