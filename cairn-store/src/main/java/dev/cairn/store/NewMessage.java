// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A message to append: its bytes, initial flags and INTERNALDATE with the UTC offset it was given
 * in (RFC 9051 §6.3.12: APPEND's date-time; FETCH INTERNALDATE shows the same zone).
 */
public record NewMessage(BodySource body, Flags flags, OffsetDateTime internalDate) {
    public NewMessage {
        java.util.Objects.requireNonNull(body);
        java.util.Objects.requireNonNull(flags);
        java.util.Objects.requireNonNull(internalDate);
    }

    /** A message dated at an instant in UTC (+0000), as the store kept every date before offsets. */
    public NewMessage(BodySource body, Flags flags, Instant internalDate) {
        this(body, flags, internalDate.atOffset(ZoneOffset.UTC));
    }

    /**
     * The internal date of a message that arrives without one (an LMTP delivery, an APPEND with no
     * date-time): the instant in this node's own zone, as peers show arrival times (Dovecot prints
     * every internal date in the server's local zone) and as the Received: header states it.
     */
    public static OffsetDateTime arrivedAt(Instant instant) {
        return instant.atZone(ZoneId.systemDefault()).toOffsetDateTime();
    }
}
