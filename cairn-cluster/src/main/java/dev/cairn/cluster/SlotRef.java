// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/**
 * A slot on a node, written {@code node/slot} in records. Node names may not hold {@code _} (a
 * progress znode is named {@code <node>_<slot>} and read back at the first {@code _}); neither
 * name may hold {@code /}, white space or control characters ({@link ClusterNames}).
 */
public record SlotRef(String node, String slot) {
    public SlotRef {
        ClusterNames.requireNode(node);
        ClusterNames.requireSlot(slot);
    }

    /** Reads {@code node/slot}; anything else is refused. */
    public static SlotRef parse(String s) {
        int i = s.indexOf('/');
        if (i <= 0 || i == s.length() - 1 || s.indexOf('/', i + 1) >= 0) throw new IllegalArgumentException("not NODE/SLOT: " + s);
        return new SlotRef(s.substring(0, i), s.substring(i + 1));
    }

    /** The name of this slot's progress znode under a store: {@code <node>_<slot>}. */
    public String progressName() { return node + "_" + slot; }

    @Override public String toString() { return node + "/" + slot; }
}
