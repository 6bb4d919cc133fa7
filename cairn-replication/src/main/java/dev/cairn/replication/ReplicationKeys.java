// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import javax.net.ssl.SSLContext;

/**
 * The cluster secret and the TLS context that replication connections are opened with, replaced
 * together by {@link Replication#reload}. Every connection, on either side, reads them when it
 * starts: a new connection uses the new ones, a connection already established keeps running on
 * what it was opened with (it has proven the secret and finished TLS already).
 */
final class ReplicationKeys {
    /** @param tls null: plain TCP */
    private record Keys(byte[] secret, SSLContext tls) {}

    private volatile Keys current;

    ReplicationKeys(byte[] secret, SSLContext tls) { current = new Keys(secret.clone(), tls); }

    byte[] secret() { return current.secret(); }

    SSLContext tls() { return current.tls(); }

    /**
     * Replaces both. TLS stays on or off as the node started: switching it needs every peer to
     * switch at once, which a restart of the cluster does.
     */
    void replace(byte[] secret, SSLContext tls) {
        if ((tls == null) != (current.tls() == null)) {
            throw new IllegalArgumentException("replication TLS is " + (current.tls() == null ? "off" : "on")
                    + " on this node: turning it " + (tls == null ? "off" : "on") + " needs a restart");
        }
        current = new Keys(secret.clone(), tls);
    }
}
