// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

/** A line exceeded the limit; the rest of it was skipped up to and including its LF. */
public final class LineTooLongException extends ProtocolInputException {
    private final int limit;

    public LineTooLongException(int limit) {
        super("line longer than " + limit + " octets");
        this.limit = limit;
    }

    public int limit() { return limit; }
}
