// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A folder that every new account gets besides INBOX, subscribed, with its special-use attributes
 * (RFC 6154). Which folders they are is configuration ({@link SlotConfig#defaultFolders()}); the
 * engine checks each name by its mailbox-name rules when it opens the slot, so a bad name stops
 * the node at start rather than every new account at its first login.
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
        specialUse = Set.copyOf(specialUse);
    }
}
