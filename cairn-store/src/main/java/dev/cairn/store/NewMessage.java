// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.time.Instant;

/** A message to append: its bytes, initial flags and INTERNALDATE (RFC 9051 §6.3.12). */
public record NewMessage(BodySource body, Flags flags, Instant internalDate) {
    public NewMessage {
        java.util.Objects.requireNonNull(body);
        java.util.Objects.requireNonNull(flags);
        java.util.Objects.requireNonNull(internalDate);
    }
}
