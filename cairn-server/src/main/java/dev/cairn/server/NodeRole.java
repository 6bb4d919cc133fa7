// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

/**
 * What a node is for its clients now, as {@code GET /ready} tells a load balancer: a master or a
 * node without replication serves logins (200), a replica (or a fenced former master) refuses
 * every login with a temporary failure (503), so a balancer sending clients to masters skips it.
 */
public enum NodeRole {
    /** No replication configured. */
    SINGLE(true),
    MASTER(true),
    /** Replica, or a master fenced by a newer epoch: logins get IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP]. */
    REPLICA(false);

    private final boolean servesLogins;

    NodeRole(boolean servesLogins) {
        this.servesLogins = servesLogins;
    }

    public boolean servesLogins() { return servesLogins; }

    /** The word in the /ready body. */
    public String word() { return name().toLowerCase(java.util.Locale.ROOT); }
}
