// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.tomlj.TomlArray;

/** What the config may call a slot ([store] slots), and the stores that name this node's slots ([replication]). */
final class SlotNames {
    private SlotNames() {}

    /**
     * Why {@code name} cannot name a slot, or null: it is a path segment under the data directory
     * and the part after "/" in a store's "node/slot", so lower-case letters, digits, '-' and '_'
     * only, starting with a letter or digit, at most 32.
     */
    static String problem(String name) {
        if (name.isEmpty() || name.length() > 32) return "must have 1 to 32 characters";
        if (!name.matches("[a-z0-9][a-z0-9_-]*")) return "may hold only a-z, 0-9, '-' and '_', and start with a letter or digit";
        return null;
    }

    /** The names of [store] slots: 1 to {@link StoreConfig#MAX_SLOTS}, each a safe path segment, no two alike. */
    static List<String> parse(Object value, Function<String, ConfigException> error) {
        String example = "must be a list of slot names, like [\"s0\", \"s1\"]";
        if (!(value instanceof TomlArray array) || array.isEmpty()) throw error.apply(example);
        if (array.size() > StoreConfig.MAX_SLOTS) {
            throw error.apply(array.size() + " slots: a node holds at most " + StoreConfig.MAX_SLOTS);
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof String name)) throw error.apply(example);
            String problem = problem(name);
            if (problem != null) throw error.apply("'" + name + "' " + problem);
            if (names.contains(name)) throw error.apply("'" + name + "' is named twice");
            names.add(name);
        }
        return names;
    }

    /**
     * Every slot a store gives this node is one of its slots ([store] slots), and in one store
     * only: a typo would leave a store without its slot here, silently.
     */
    static void requireOwnSlots(NodeConfig config, Function<String, ConfigException> error) {
        String node = config.replication().config().node();
        Map<String, String> storeOf = new HashMap<>();
        for (var spec : config.replication().config().stores()) {
            for (var ref : spec.slots()) {
                if (!ref.node().equals(node)) continue;
                if (!config.store().slots().contains(ref.slot())) {
                    throw error.apply("store " + spec.name() + " names " + ref + ", but this node's slots are " + config.store().slots()
                            + " ([store] slots)");
                }
                String other = storeOf.putIfAbsent(ref.slot(), spec.name());
                if (other != null) {
                    throw error.apply("slot " + ref + " is in store " + other + " and in store " + spec.name() + ": a slot belongs to one store");
                }
            }
        }
    }
}
