// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A folder that every new account gets besides INBOX, subscribed, with its special-use attributes
 * (RFC 6154). Which folders they are is configuration ({@link SlotConfig#defaultFolders()}).
 */
public record DefaultFolder(String name, Set<SpecialUse> specialUse) {
    /** Drafts, Sent, Junk, Trash and Archive, each with its attribute: the embedded default. */
    public static final List<DefaultFolder> STANDARD = List.of(
            new DefaultFolder("Drafts", Set.of(SpecialUse.DRAFTS)), new DefaultFolder("Sent", Set.of(SpecialUse.SENT)),
            new DefaultFolder("Junk", Set.of(SpecialUse.JUNK)), new DefaultFolder("Trash", Set.of(SpecialUse.TRASH)),
            new DefaultFolder("Archive", Set.of(SpecialUse.ARCHIVE)));

    public DefaultFolder {
        Objects.requireNonNull(name, "name");
        if (name.equalsIgnoreCase("INBOX")) throw new IllegalArgumentException("INBOX is always created; list only the others");
        // The store checks names fully (length, levels) when it creates them; these are the
        // mistakes a config can make that would otherwise surface only at a new account's login.
        if (name.isBlank() || name.startsWith("/") || name.endsWith("/") || name.contains("//")) {
            throw new IllegalArgumentException("'" + name + "' is not a folder name");
        }
        if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7F)) throw new IllegalArgumentException("a folder name has no control characters");
        specialUse = Set.copyOf(specialUse);
    }
}
