// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.regex.Pattern;

/**
 * A mailbox's uniqueid: chosen once at creation, kept across RENAME, never reused. It is the
 * MAILBOXID of RFC 8474 (1-255 characters of A-Z a-z 0-9 _ -) and tells a replica of a mailbox
 * from a new mailbox that happens to have the same name.
 */
public record MailboxId(String value) {
    private static final Pattern OBJECTID = Pattern.compile("[A-Za-z0-9_-]{1,255}");

    public MailboxId {
        if (!OBJECTID.matcher(value).matches()) throw new IllegalArgumentException("invalid mailbox id: " + value);
    }

    @Override public String toString() { return value; }
}
