// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The wiring point of the protocol servers: one {@link ListenerStarter} per listener name of the
 * config (imap, imaps, pop3, pop3s, lmtp). {@link Node} starts each enabled listener whose name
 * is here, in this order, and warns about enabled ones that are missing.
 *
 * <p>To wire a protocol, add one line, for example
 * <pre>
 * starters.put("imap", (listener, node) -> ImapServer.start(listener.address().socketAddress(), ...));
 * </pre>
 * returning a {@link RunningListener}. The starter gets the listener's config (address, implicit
 * TLS) and {@link NodeServices}: the slot store, the directory (wrap it in
 * {@link DirectoryAuthenticator} / the recipient adapter) and the meter registry.
 */
public final class ProtocolListeners {
    private ProtocolListeners() {}

    public static Map<String, ListenerStarter> builtIn() {
        Map<String, ListenerStarter> starters = new LinkedHashMap<>();
        // starters.put("imap", ...);  starters.put("imaps", ...);
        // starters.put("pop3", ...);  starters.put("pop3s", ...);
        // starters.put("lmtp", ...);
        return starters;
    }
}
