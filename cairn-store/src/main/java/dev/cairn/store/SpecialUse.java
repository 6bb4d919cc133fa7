// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/** Special-use attributes of RFC 6154 (and \Important of RFC 8457). */
public enum SpecialUse {
    ALL("\\All"), ARCHIVE("\\Archive"), DRAFTS("\\Drafts"), FLAGGED("\\Flagged"),
    JUNK("\\Junk"), SENT("\\Sent"), TRASH("\\Trash"), IMPORTANT("\\Important");

    private final String attribute;

    SpecialUse(String attribute) { this.attribute = attribute; }

    /** The attribute as IMAP spells it, e.g. {@code \Sent}. */
    public String attribute() { return attribute; }

    public static java.util.Optional<SpecialUse> fromAttribute(String attribute) {
        for (SpecialUse u : values()) if (u.attribute.equalsIgnoreCase(attribute)) return java.util.Optional.of(u);
        return java.util.Optional.empty();
    }
}
