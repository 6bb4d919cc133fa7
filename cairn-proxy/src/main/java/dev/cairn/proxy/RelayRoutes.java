// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.protocol.relay.SessionRoute;
import dev.cairn.protocol.relay.SessionRoutes;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;

/**
 * PLACEHOLDER (dropped at merge: the relay helper's class replaces it). Served here when the
 * locator says Here; every other answer is a temporary failure, so that this branch compiles and
 * runs. Nothing may depend on this behaviour.
 */
public final class RelayRoutes implements SessionRoutes {
    private final Locator locator;
    private final RelayConfig config;

    public RelayRoutes(Locator locator, RelayConfig config, MeterRegistry meters) {
        this.locator = locator;
        this.config = config;
    }

    @Override public SessionRoute route(String protocol, String user, InetAddress client, boolean secure) throws InterruptedException {
        return switch (locator.locate(protocol, user, config.loginWait())) {
            case Location.Here h -> SessionRoute.LOCAL;
            case Location.At a -> new SessionRoute.Unavailable("relay not in this branch");
            case Location.Nowhere n -> new SessionRoute.Unavailable(n.reason());
        };
    }
}
