// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import dev.cairn.store.BodyId;
import java.util.List;

/** The record needs bodies this slot does not have and that did not come with it. */
public final class MissingBodies extends RuntimeException {
    private final List<BodyId> bodies;

    public MissingBodies(List<BodyId> bodies) {
        super("missing bodies: " + bodies, null, false, false);
        this.bodies = List.copyOf(bodies);
    }

    public List<BodyId> bodies() { return bodies; }
}
