// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * A message's stored flags: the system flags of RFC 9051 §2.3.2 as bits, and keywords.
 * {@code \Recent} is per session and never stored. Keywords keep the case the client first
 * used; comparisons are case-insensitive as the RFC requires.
 */
public record Flags(int system, Set<String> keywords) {
    public static final int SEEN = 1, ANSWERED = 1 << 1, FLAGGED = 1 << 2, DELETED = 1 << 3, DRAFT = 1 << 4;
    public static final Flags NONE = new Flags(0, Set.of());
    private static final String[] SYSTEM_NAMES = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};

    public Flags {
        if ((system & ~0x1F) != 0) throw new IllegalArgumentException("unknown system flag bits: " + system);
        TreeSet<String> sorted = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        sorted.addAll(keywords);
        keywords = java.util.Collections.unmodifiableSet(sorted);
    }

    /** Parses flag names as IMAP spells them; a name starting with a backslash must be a system flag. */
    public static Flags of(Collection<String> names) {
        int bits = 0;
        Set<String> keywords = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : names) {
            int bit = systemBit(name);
            if (bit != 0) bits |= bit;
            else if (name.startsWith("\\")) throw new IllegalArgumentException("not a system flag: " + name);
            else keywords.add(name);
        }
        return new Flags(bits, keywords);
    }

    public static Flags of(String... names) { return of(java.util.List.of(names)); }

    /** The bit of a system flag name ({@code \Seen}...), or 0 if it is not one. {@code \Recent} is not stored. */
    public static int systemBit(String name) {
        for (int i = 0; i < SYSTEM_NAMES.length; i++) if (SYSTEM_NAMES[i].equalsIgnoreCase(name)) return 1 << i;
        return 0;
    }

    public boolean has(int bit) { return (system & bit) != 0; }

    public boolean hasKeyword(String keyword) { return keywords.contains(keyword); }

    public Flags plus(Flags other) {
        Set<String> k = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        k.addAll(keywords); k.addAll(other.keywords);
        return new Flags(system | other.system, k);
    }

    public Flags minus(Flags other) {
        Set<String> k = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        k.addAll(keywords); k.removeAll(other.keywords);
        return new Flags(system & ~other.system, k);
    }

    /** Every flag name, system flags first, as IMAP spells them. */
    public java.util.List<String> names() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < SYSTEM_NAMES.length; i++) if ((system & (1 << i)) != 0) out.add(SYSTEM_NAMES[i]);
        out.addAll(keywords);
        return out;
    }

    @Override public boolean equals(Object o) {
        if (!(o instanceof Flags f) || f.system != system || f.keywords.size() != keywords.size()) return false;
        for (String k : keywords) if (!f.keywords.contains(k)) return false;
        return true;
    }

    @Override public int hashCode() {
        int h = system;
        for (String k : keywords) h = 31 * h + k.toLowerCase(Locale.ROOT).hashCode();
        return h;
    }

    @Override public String toString() { return String.join(" ", names()); }
}
