// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Authenticator;
import dev.cairn.proxy.AuthHttpEndpoint;
import dev.cairn.proxy.Location;
import dev.cairn.proxy.Locator;
import dev.cairn.proxy.RelayConfig;
import dev.cairn.server.config.AuthHttpSettings;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.NodeConfig;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/** Starts the node's auth_http endpoint for nginx's mail proxy ([proxy] auth_http; {@link AuthHttpSettings}). */
final class NodeAuthHttp {
    private NodeAuthHttp() {}

    /**
     * @param listeners     the node's running listeners by protocol: users this node serves are sent to its plain IMAP and POP3 ones
     * @param authenticator the directory's check (not one that refuses logins on a replica: nginx may ask any node)
     * @param relaying      a front-end's locator (a cluster node, `cairn proxy`), or null: the node's own {@code slots} answer
     * @return the endpoint, or null when the config has none
     */
    static AuthHttpEndpoint start(NodeConfig config, Map<String, RunningListener> listeners, Authenticator authenticator,
                                  AuthThrottle throttle, NodeServices.Relaying relaying, NodeSlots slots, MeterRegistry meters)
            throws IOException {
        AuthHttpSettings settings = config.authHttp();
        if (settings == null) return null;
        Map<String, InetSocketAddress> own = new LinkedHashMap<>();
        for (String protocol : new String[] {"imap", "pop3"}) {
            RunningListener l = listeners.get(protocol);
            InetSocketAddress address = l == null ? null : l.addresses().get(protocol);
            if (address != null) own.put(protocol, address);
        }
        AuthHttpEndpoint endpoint = new AuthHttpEndpoint(relaying != null ? relaying.locator() : own(config, slots),
                authenticator, throttle, settings.key(), own, relaying != null ? relaying.config().loginWait() : RelayConfig.DEFAULT_LOGIN_WAIT, meters);
        try {
            endpoint.start(settings.listen().socketAddress());
        } catch (BindException e) {
            throw new BindException("proxy.auth_http: cannot listen on " + settings.listen() + ": " + e.getMessage());
        }
        return endpoint;
    }

    /**
     * A node outside a cluster (a cluster node asks the cluster: {@code relaying}) serves the users
     * whose slot here takes logins. A user whose slot here is a replica's (static [replication]) is
     * not served here: nginx would log in where every login is refused. The master cannot be named
     * either (the config knows its replication address, not its mail listeners, and an operator's
     * promotion moves it), so the answer is "try again later", naming the master in the log.
     */
    private static Locator own(NodeConfig config, NodeSlots slots) {
        return (protocol, user, wait) -> {
            String store = slots.storeOfUser(user);
            String fence = slots.fenceOf(user);
            if (fence == null) return new Location.Here(store);
            return new Location.Nowhere(fence + configuredMaster(config, store));
        };
    }

    /** "; the config names n1/s0 its master" for a store of [replication], else "". */
    private static String configuredMaster(NodeConfig config, String store) {
        if (config.replication() == null) return "";
        return config.replication().config().stores().stream().filter(s -> s.name().equals(store)).findFirst()
                .map(s -> "; the config names " + s.master().node() + "/" + s.master().slot() + " its master").orElse("");
    }
}
