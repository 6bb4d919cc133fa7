// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

/** Why the directory refused a change. Every refusal leaves the directory unchanged. */
public final class DirectoryException extends RuntimeException {
    public enum Reason {
        /** A user name the directory refuses (see {@link UserNames}). */
        INVALID_USER_NAME,
        /** An address the directory refuses (see {@link Addresses}). */
        INVALID_ADDRESS,
        /** A password the directory refuses (empty, over-long). */
        INVALID_PASSWORD,
        /** A quota limit below zero, or a group name the directory refuses. */
        INVALID_ARGUMENT,
        NO_SUCH_USER,
        USER_EXISTS,
        /** The address already belongs to a user (as primary address or alias). */
        ADDRESS_TAKEN,
        NO_SUCH_ADDRESS,
        /** The database could not be read or written (I/O, locked for too long, newer schema). */
        UNAVAILABLE
    }

    private final Reason reason;

    public DirectoryException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DirectoryException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() { return reason; }
}
