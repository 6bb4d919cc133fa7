// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.lmtp.LmtpConfig;
import dev.cairn.lmtp.LmtpServer;
import dev.cairn.server.config.NodeConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The wiring point of the protocol servers: one {@link ListenerStarter} per listener name of the
 * config (imap, imaps, pop3, pop3s, lmtp). {@link Node} starts each enabled listener whose name
 * is here, in this order, and warns about enabled ones that are missing.
 *
 * <p>To wire a protocol, add one line to {@link #builtIn()}, for example
 * <pre>
 * starters.put("imap", (listener, node) -> started(new ImapServer(...listener.address().socketAddress()...,
 *         node.store(), new DirectoryAuthenticator(node.directory(), node.meters()))));
 * </pre>
 * The starter gets the listener's config (address, implicit TLS) and {@link NodeServices}: the
 * node config, slot store, directory and meter registry.
 */
public final class ProtocolListeners {
    private ProtocolListeners() {}

    public static Map<String, ListenerStarter> builtIn() {
        Map<String, ListenerStarter> starters = new LinkedHashMap<>();
        // starters.put("imap", ...);  starters.put("imaps", ...);
        // starters.put("pop3", ...);  starters.put("pop3s", ...);
        starters.put("lmtp", (listener, node) -> lmtp(node, listener.address().socketAddress()));
        return starters;
    }

    static RunningListener lmtp(NodeServices node, InetSocketAddress address) throws IOException {
        NodeConfig c = node.config();
        Files.createDirectories(c.spoolDir());
        LmtpConfig defaults = LmtpConfig.defaults();
        LmtpConfig config = new LmtpConfig(address, null, defaults.hostname(), c.store().maxMessageSize(),
                defaults.maxRecipients(), defaults.quotaTemporary(), defaults.maxDataLineLength(),
                defaults.memoryThreshold(), c.spoolDir(), c.limits().maxConnections(), null, defaults.deliveredTo(),
                defaults.limits());
        LmtpServer server = new LmtpServer(config, node.store(), new DirectoryRecipientResolver(node.directory()));
        server.start();
        return new RunningListener() {
            @Override public InetSocketAddress address() { return server.boundAddress(); }
            @Override public void close() { server.close(); }
        };
    }
}
