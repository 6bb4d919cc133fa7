// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/** What the controller decided for one store in its last round. */
public sealed interface Verdict {
    /** The master's node is registered and serves the master slot: nothing to do. */
    record Served(SlotRef master) implements Verdict {}

    /** Promote {@code next.master()} over the record read at {@code readVersion}. */
    record Promote(VersionedStore read, StoreRecord next, String why) implements Verdict {
        public SlotRef from() { return read.record().master(); }

        public SlotRef to() { return next.master(); }
    }

    /** No live master and no replica that may be promoted: left so, until one can be or an operator forces one. */
    record Headless(SlotRef master, String why) implements Verdict {}

    /** The master's node is live but does not serve the slot; the store moved too recently to move again. */
    record Damped(SlotRef master, long until, String why) implements Verdict {}
}
