// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

/** What a recipient address resolved to: a user, or why it reaches nobody (for the 550 reply and the log). */
public sealed interface Resolution {
    /** The recipient is a user (who may be disabled: {@link Recipient#disabled()}). */
    record Found(Recipient recipient) implements Resolution {}

    /** Nobody: {@code reason} says why in words an MTA can put in its bounce. */
    record Unknown(String reason) implements Resolution {}
}
