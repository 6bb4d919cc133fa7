// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import dev.cairn.store.MailboxId;
import java.util.Set;

/**
 * Thrown by a {@link CommitHook} before a commit: the commit would hand out UIDs in these
 * mailboxes past what every replica could be promoted over (the master runs without one). The
 * store gives them a new UIDVALIDITY in a commit of its own and builds the refused commit again,
 * so its UIDs are under the new one. Nothing was written.
 */
public final class UidWindowPassed extends RuntimeException {
    private final Set<MailboxId> mailboxes;

    public UidWindowPassed(Set<MailboxId> mailboxes) {
        super("UIDs past the window of " + mailboxes, null, false, false);
        this.mailboxes = Set.copyOf(mailboxes);
    }

    public Set<MailboxId> mailboxes() { return mailboxes; }
}
