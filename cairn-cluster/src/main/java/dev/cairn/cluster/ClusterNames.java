// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.regex.Pattern;

/**
 * What a node, slot or store may be called: each is a znode name or part of one, so letters,
 * digits, {@code . - _} only (and no {@code _} in a node's name, see {@link SlotRef}), at most 64.
 */
final class ClusterNames {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private ClusterNames() {}

    static String requireNode(String name) {
        require("node", name);
        if (name.indexOf('_') >= 0) throw new IllegalArgumentException("a node's name may not hold '_': " + name);
        return name;
    }

    static String requireSlot(String name) { return require("slot", name); }

    static String requireStore(String name) { return require("store", name); }

    private static String require(String what, String name) {
        if (name == null || !NAME.matcher(name).matches())
            throw new IllegalArgumentException("not a " + what + " name (letters, digits, '.', '-', '_', at most 64): " + name);
        return name;
    }
}
