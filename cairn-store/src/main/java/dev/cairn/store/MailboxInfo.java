// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.Set;

/**
 * A mailbox as of one committed state: what SELECT, STATUS and LIST report.
 *
 * @param name          full UTF-8 name, hierarchy separator '/', INBOX always spelled "INBOX"
 * @param uidValidity   never changes for this mailbox id; a new mailbox under an old name gets a higher one
 * @param uidNext       greater than every UID ever assigned in this mailbox, expunged ones included
 * @param highestModSeq the highest MODSEQ of any change to this mailbox or its messages
 * @param size          sum of RFC822.SIZE of its messages (STATUS=SIZE, RFC 8438)
 */
public record MailboxInfo(MailboxId id, String name, long uidValidity, long uidNext, long highestModSeq,
                          Set<SpecialUse> specialUse, long messages, long unseen, long deleted, long size) {
}
