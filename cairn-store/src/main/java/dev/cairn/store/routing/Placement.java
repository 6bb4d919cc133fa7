// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.routing;

import java.util.Optional;

/**
 * Where a new user goes: the name of its store. A user that already has mail or an account in
 * one of the node's slots stays there whatever this says (moving a user is a job of its own);
 * this is asked only for a user that no slot holds yet. The cluster's directory implements it
 * from its placement table; a node on its own has {@link #NODE}.
 */
@FunctionalInterface
public interface Placement {
    /** The store the user belongs in, or empty: the node's rule ({@link SlotRouter}: its first slot that takes writes). */
    Optional<String> storeOf(String user);

    /** No placement table: every new user goes where the node's rule puts it. */
    Placement NODE = user -> Optional.empty();
}
