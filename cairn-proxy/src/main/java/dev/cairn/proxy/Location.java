// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.util.Objects;

/** The answer of a {@link Locator}. */
public sealed interface Location {
    /** This node masters the user's store: serve the user here, with no proxy hop. */
    record Here(String store) implements Location {}

    /**
     * Another node masters the user's store, at {@code epoch} of the store map: relay to it.
     * (A front-end that learns a newer epoch for the store ends the sessions it relays there.)
     */
    record At(String store, long epoch, Backend backend) implements Location {
        public At { Objects.requireNonNull(backend); }
    }

    /**
     * No master can be named now (no placement, no live master within the wait, the cluster
     * unreachable): a temporary failure for the client. {@code reason} is for the log.
     */
    record Nowhere(String reason) implements Location {
        public Nowhere { Objects.requireNonNull(reason); }
    }
}
