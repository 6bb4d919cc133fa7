// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions a front-end relays, each with the store and map epoch its back-end was master at.
 * When the locator's picture changes and names a store's master at a newer epoch (a failover, a
 * drain, a switchover), the sessions relayed to the old one are ended: a master that died by kill
 * -9 closes them itself, but one that is frozen or cut off would hold them until the client gave
 * up. The client sees its connection close and reconnects, and its new login lands on the new master.
 *
 * <p>The connection is closed, no {@code * BYE} is written: the relay parses nothing, so it
 * cannot know whether the back-end stopped in the middle of a response (a literal, a FETCH) where
 * a BYE would be read as part of it. A closed connection is what a dead back-end looks like, and
 * every client handles it by reconnecting.
 */
final class RelayedStores {
    private static final Logger log = LoggerFactory.getLogger(RelayedStores.class);

    private final Locator locator;
    private final Map<BackendSession, Location.At> open = new ConcurrentHashMap<>();

    RelayedStores(Locator locator) {
        this.locator = locator;
        locator.onChange(this::endSuperseded);
    }

    /** Follows {@code session}, relayed to {@code at}'s master, until it closes. */
    void follow(BackendSession session, Location.At at) {
        open.put(session, at);
        session.onClose(() -> open.remove(session));
    }

    int size() { return open.size(); }

    /** On the locator's thread: closing a socket does not block. */
    private void endSuperseded() {
        for (Map.Entry<BackendSession, Location.At> e : open.entrySet()) {
            Location.At at = e.getValue();
            long now = locator.masterEpoch(at.store());
            if (now > at.epoch()) {
                log.info("relay: store {} has a new master (epoch {} -> {}): ending a session relayed to {}", at.store(), at.epoch(), now,
                        at.backend());
                e.getKey().close();
            }
        }
    }
}
