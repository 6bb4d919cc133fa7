// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.Directory;
import dev.cairn.lmtp.RecipientResolver;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.protocol.relay.SessionRoutes;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.SlotStore;
import io.micrometer.core.instrument.MeterRegistry;

import javax.net.ssl.SSLContext;

/**
 * What a protocol server is built on.
 *
 * @param tls           the node's certificate (configured PEM files, or a self-signed one kept in
 *                      the data directory) for STARTTLS and implicit TLS
 * @param authenticator logins checked against the directory
 * @param throttle      one per node, so IMAP and POP3 failures count together and their password
 *                      checks share one bounded pool
 * @param recipients    LMTP recipients resolved by the directory
 * @param commandMemory one per node: what IMAP commands and LMTP messages in flight may hold in memory
 * @param routes        where IMAP and POP3 sessions go after a login (a cluster node relays users
 *                      whose store another node masters; {@link SessionRoutes#LOCAL} otherwise)
 * @param relaying      a front-end's (a cluster node's, `cairn proxy`'s) locator and relay config, for
 *                      the LMTP proxy and the auth_http endpoint; null outside a cluster
 */
public record NodeServices(NodeConfig config, SlotStore store, Directory directory, MeterRegistry meters, SSLContext tls,
                           Authenticator authenticator, AuthThrottle throttle, RecipientResolver recipients,
                           MemoryBudget commandMemory, SessionRoutes routes, Relaying relaying) {
    /** Where a front-end finds each user's master, and how it reaches it (issue 21). */
    public record Relaying(dev.cairn.proxy.Locator locator, dev.cairn.proxy.RelayConfig config) {}

    /** Every session served here. */
    public NodeServices(NodeConfig config, SlotStore store, Directory directory, MeterRegistry meters, SSLContext tls,
                        Authenticator authenticator, AuthThrottle throttle, RecipientResolver recipients, MemoryBudget commandMemory) {
        this(config, store, directory, meters, tls, authenticator, throttle, recipients, commandMemory, SessionRoutes.LOCAL, null);
    }
}
