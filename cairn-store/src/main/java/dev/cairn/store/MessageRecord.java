// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * One message in one mailbox. Everything but flags and modseq is immutable for the life of the
 * (mailbox, UIDVALIDITY, UID) triple (RFC 9051 §2.3.1.1).
 *
 * @param internalDate INTERNALDATE with the UTC offset it was given in (RFC 9051 §2.3.3)
 * @param saveDate   when it was put into this mailbox (SAVEDATE, RFC 8514)
 * @param size       RFC822.SIZE in octets
 * @param threadId   THREADID of RFC 8474: shared by messages of one conversation of this user
 */
public record MessageRecord(MailboxId mailbox, Uid uid, ModSeq modSeq, Flags flags, OffsetDateTime internalDate,
                            Instant saveDate, long size, BodyId body, String threadId) {
    /** EMAILID of RFC 8474: the same for every copy of the same content. */
    public String emailId() { return "M" + body.hex().substring(0, 24); }
}
