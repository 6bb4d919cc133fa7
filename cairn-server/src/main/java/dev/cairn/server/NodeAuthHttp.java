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
     * @return the endpoint, or null when the config has none
     */
    static AuthHttpEndpoint start(NodeConfig config, Map<String, RunningListener> listeners, Authenticator authenticator,
                                  AuthThrottle throttle, NodeServices.Relaying relaying, MeterRegistry meters) throws IOException {
        AuthHttpSettings settings = config.authHttp();
        if (settings == null) return null;
        Map<String, InetSocketAddress> own = new LinkedHashMap<>();
        for (String protocol : new String[] {"imap", "pop3"}) {
            RunningListener l = listeners.get(protocol);
            InetSocketAddress address = l == null ? null : l.addresses().get(protocol);
            if (address != null) own.put(protocol, address);
        }
        AuthHttpEndpoint endpoint = new AuthHttpEndpoint(relaying != null ? relaying.locator() : own(config),
                authenticator, throttle, settings.key(), own, relaying != null ? relaying.config().loginWait() : RelayConfig.DEFAULT_LOGIN_WAIT, meters);
        try {
            endpoint.start(settings.listen().socketAddress());
        } catch (BindException e) {
            throw new BindException("proxy.auth_http: cannot listen on " + settings.listen() + ": " + e.getMessage());
        }
        return endpoint;
    }

    /** A node outside a cluster serves every user itself (a cluster node asks the cluster: {@code relaying}). */
    private static Locator own(NodeConfig config) {
        return (protocol, user, wait) -> new Location.Here(config.store().slots().getFirst());
    }
}
