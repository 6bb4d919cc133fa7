// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.directory.Addresses;
import dev.cairn.store.DefaultFolder;
import dev.cairn.store.SpecialUse;
import org.tomlj.TomlTable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed access to a config file's values that names the key in every error ({@link ConfigLoader}).
 *
 * @param source   the file (or text) read, named first in every error
 * @param sections the keys each section may hold: {@link #section} refuses any other
 */
record ConfigReader(String source, Map<String, Set<String>> sections) {
    ConfigException error(String key, String what) {
        return new ConfigException(source + ": " + key + ": " + what);
    }

    void checkKeys(TomlTable table, String prefix, Set<String> allowed) {
        for (String key : new TreeSet<>(table.keySet())) {
            if (!allowed.contains(key)) {
                throw table.get(List.of(key)) instanceof TomlTable
                        ? error("[" + prefix + key + "]", "unknown section (known here: " + String.join(", ", new TreeSet<>(allowed)) + ")")
                        : error(prefix + key, "unknown key (known here: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
    }

    TomlTable section(TomlTable root, String name) {
        Object v = root.get(List.of(name));
        if (v == null) {
            return null;
        }
        if (!(v instanceof TomlTable table)) {
            throw error(name, "must be a table ([" + name + "])");
        }
        if (sections.containsKey(name)) {
            checkKeys(table, name + ".", sections.get(name));
        }
        return table;
    }

    private Object value(TomlTable table, String key) {
        if (table == null) {
            return null;
        }
        String leaf = key.substring(key.lastIndexOf('.') + 1);
        return table.get(List.of(leaf));
    }

    Optional<String> string(TomlTable table, String key) {
        Object v = value(table, key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof String s)) {
            throw error(key, "must be a string");
        }
        return Optional.of(s);
    }

    Optional<Path> path(TomlTable table, String key) {
        return string(table, key).map(s -> {
            if (s.isBlank()) {
                throw error(key, "must not be empty");
            }
            return Path.of(s);
        });
    }

    Optional<Boolean> bool(TomlTable table, String key) {
        Object v = value(table, key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Boolean b)) {
            throw error(key, "must be true or false");
        }
        return Optional.of(b);
    }

    Optional<Integer> integer(TomlTable table, String key, int min, int max) {
        Object v = value(table, key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Long n)) {
            throw error(key, "must be a whole number");
        }
        if (n < min || n > max) {
            throw error(key, n + " is not between " + min + " and " + max);
        }
        return Optional.of(n.intValue());
    }

    Optional<Long> size(TomlTable table, String key) {
        Object v = value(table, key);
        if (v == null) {
            return Optional.empty();
        }
        try {
            long n = switch (v) {
                case Long l -> l;
                case String s -> Sizes.parseBytes(s);
                default -> throw error(key, "must be a size (octets, or a string like \"64M\")");
            };
            if (n <= 0) {
                throw error(key, "must be above 0");
            }
            return Optional.of(n);
        } catch (ConfigException e) {
            throw e.getMessage().startsWith(source) ? e : error(key, e.getMessage());
        }
    }

    /** A size from {@code min} to {@code max} octets. */
    Optional<Long> size(TomlTable table, String key, long min, long max) {
        Optional<Long> n = size(table, key);
        if (n.isPresent() && (n.get() < min || n.get() > max)) {
            throw error(key, Sizes.formatBytes(n.get()) + " is not between " + Sizes.formatBytes(min) + " and " + Sizes.formatBytes(max));
        }
        return n;
    }

    Optional<Duration> duration(TomlTable table, String key) {
        Object v = value(table, key);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(switch (v) {
                case Long l when l >= 0 -> Duration.ofSeconds(l);
                case String s -> Sizes.parseDuration(s);
                default -> throw error(key, "must be a duration (seconds, or a string like \"30m\")");
            });
        } catch (ConfigException e) {
            throw e.getMessage().startsWith(source) ? e : error(key, e.getMessage());
        }
    }

    /** The node's slot names ([store] slots): see {@link SlotNames#parse}. */
    Optional<List<String>> slots(TomlTable table, String key) {
        Object v = value(table, key);
        return v == null ? Optional.empty() : Optional.of(SlotNames.parse(v, what -> error(key, what)));
    }

    /** A list of domain names; an empty list makes no domain local. */
    Optional<List<String>> domains(TomlTable table, String key) {
        Object v = value(table, key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof org.tomlj.TomlArray array)) {
            throw error(key, "must be a list of domain names, like [\"mx.example.org\", \"localhost\"]");
        }
        List<String> domains = new java.util.ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof String s) || Addresses.problem("postmaster@" + s) != null) {
                throw error(key, "'" + array.get(i) + "' is not a domain name");
            }
            domains.add(s);
        }
        return Optional.of(domains);
    }

    /**
     * The folders a new account gets besides INBOX: a list of tables {@code { name = "Sent",
     * special_use = "sent" }}, the attribute optional (RFC 6154's name, with or without its
     * backslash, any case); an empty list gives INBOX alone.
     */
    Optional<List<DefaultFolder>> folders(TomlTable table, String key) {
        Object v = value(table, key);
        if (v == null) {
            return Optional.empty();
        }
        String example = "must be a list of folders, like [{ name = \"Sent\", special_use = \"sent\" }, { name = \"Lists\" }]";
        if (!(v instanceof org.tomlj.TomlArray array)) {
            throw error(key, example);
        }
        List<DefaultFolder> folders = new java.util.ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof TomlTable folder) || !(folder.get(List.of("name")) instanceof String name)) {
                throw error(key, example);
            }
            for (String k : folder.keySet()) {
                if (!k.equals("name") && !k.equals("special_use")) throw error(key, "unknown key '" + k + "' in folder " + name);
            }
            Set<SpecialUse> use = Set.of();
            Object u = folder.get(List.of("special_use"));
            if (u != null) {
                String attribute = u instanceof String s ? (s.startsWith("\\") ? s : "\\" + s) : "";
                use = Set.of(SpecialUse.fromAttribute(attribute).orElseThrow(() -> error(key, "'" + u + "' (folder " + name
                        + ") is not a special use; one of " + java.util.Arrays.stream(SpecialUse.values())
                        .map(x -> x.attribute().substring(1).toLowerCase(java.util.Locale.ROOT)).toList())));
            }
            if (!names.add(name)) {
                throw error(key, "folder " + name + " is listed twice");
            }
            try {
                folders.add(new DefaultFolder(name, use));
            } catch (IllegalArgumentException e) {
                throw error(key, e.getMessage());
            }
        }
        return Optional.of(folders);
    }

    /** A list of address blocks ("10.0.0.0/8", "::1"); an empty list trusts no address. */
    List<dev.cairn.protocol.auth.Network> networks(TomlTable table, String key) {
        Object v = value(table, key);
        if (!(v instanceof org.tomlj.TomlArray array)) {
            throw error(key, "must be a list of address blocks, like [\"10.0.0.0/8\", \"::1\"]");
        }
        List<dev.cairn.protocol.auth.Network> networks = new java.util.ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof String s)) throw error(key, "must be a list of strings");
            try {
                networks.add(dev.cairn.protocol.auth.Network.parse(s));
            } catch (IllegalArgumentException e) {
                throw error(key, e.getMessage());
            }
        }
        return networks;
    }

    ListenAddress address(String key, String value) {
        try {
            return ListenAddress.parse(value);
        } catch (ConfigException e) {
            throw error(key, e.getMessage());
        }
    }
}
