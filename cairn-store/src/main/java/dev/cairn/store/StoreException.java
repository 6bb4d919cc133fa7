// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/**
 * Why the store refused an operation. Every refusal leaves the store unchanged: the write batch
 * that would have carried the change is never committed. Protocols map the reason to their own
 * answer (IMAP response codes of RFC 5530, LMTP enhanced status codes, POP3 -ERR) with an
 * exhaustive switch.
 */
public final class StoreException extends RuntimeException {
    public enum Reason {
        /** The user has no store on this slot. */
        NO_SUCH_USER,
        /** The mailbox (or message) named does not exist. IMAP: [NONEXISTENT]. */
        NONEXISTENT,
        /** CREATE or RENAME onto a name that exists. IMAP: [ALREADYEXISTS]. */
        ALREADY_EXISTS,
        /** A mailbox name the store refuses: empty, "..", NUL or control characters, over-long, invalid UTF-8. IMAP: [CANNOT]. */
        INVALID_NAME,
        /** An operation IMAP forbids on this mailbox, e.g. deleting INBOX. IMAP: [CANNOT]. */
        CANNOT,
        /** A message over the configured size limit. IMAP: [TOOBIG]; LMTP: 552 5.3.4. */
        TOO_BIG,
        /** The user's storage or message quota would be exceeded. IMAP: [OVERQUOTA]; LMTP 552 5.2.2. */
        OVER_QUOTA,
        /**
         * The store cannot take writes right now (read-only, disk full, I/O error, fenced). IMAP:
         * [UNAVAILABLE]; LMTP 451 4.3.0. A full disk too: RFC 5530's OVERQUOTA is the user's own
         * quota (which the user could free) and SERVERBUG a bug in the server; a full disk is
         * neither, but a subsystem that is down until an operator makes room, and the client
         * should try again later, as 451 tells the MTA.
         */
        UNAVAILABLE,
        /** Bad arguments from the caller (a flag or UID set the store cannot represent). IMAP: BAD. */
        INVALID_ARGUMENT
    }

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() { return reason; }
}
