// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
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
    /** Open sessions by store, then by the epoch their master was named at (few per store: a change costs a lookup a store). */
    private final Map<String, NavigableMap<Long, Set<BackendSession>>> open = new ConcurrentHashMap<>();

    RelayedStores(Locator locator) {
        this.locator = locator;
        locator.onChange(this::endSuperseded);
    }

    /** Follows {@code session}, relayed to {@code at}'s master, until it closes. */
    void follow(BackendSession session, Location.At at) {
        Set<BackendSession> same = open.computeIfAbsent(at.store(), s -> new ConcurrentSkipListMap<>())
                .computeIfAbsent(at.epoch(), e -> ConcurrentHashMap.newKeySet());
        same.add(session);
        session.onClose(() -> same.remove(session));
        // logged in on an answer the map moved past meanwhile (before or during endSuperseded): ended at once
        if (locator.masterEpoch(at.store()) > at.epoch()) session.close();
    }

    /** On the locator's thread: closing a socket does not block. */
    private void endSuperseded() {
        open.forEach((store, byEpoch) -> {
            long now = locator.masterEpoch(store);
            if (now < 0) return; // no live master yet: its sessions end when the next one is named
            NavigableMap<Long, Set<BackendSession>> old = byEpoch.headMap(now, false);
            old.forEach((epoch, sessions) -> {
                if (!sessions.isEmpty()) {
                    log.info("relay: store {} has a new master (epoch {} -> {}): ending {} session(s) relayed to the old one", store, epoch, now,
                            sessions.size());
                }
                sessions.forEach(BackendSession::close);
            });
            old.clear(); // a session that follows an older answer later is ended by follow's own check
        });
    }
}
