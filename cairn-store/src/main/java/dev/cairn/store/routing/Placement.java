// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.routing;

import java.util.Optional;

/**
 * Where a user lives: the name of its store, or empty when it was never placed (then a user that
 * has mail or an account in one of the node's slots is that slot's, and a new one goes where the
 * node's rule puts it). Asked once per user and node until an online move tells the router to
 * forget ({@link SlotRouter#moved}). The cluster's directory implements it from its placement
 * table; a node on its own has {@link #NODE}.
 */
@FunctionalInterface
public interface Placement {
    /** The store the user belongs in, or empty: the node's rule ({@link SlotRouter}: its first slot that takes writes). */
    Optional<String> storeOf(String user);

    /** No placement table: every new user goes where the node's rule puts it. */
    Placement NODE = user -> Optional.empty();
}
