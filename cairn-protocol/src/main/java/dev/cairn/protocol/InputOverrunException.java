// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.io.IOException;

/**
 * A line went over its limit where the rest of it cannot be skipped cheaply: under compression
 * (IMAP COMPRESS, RFC 4978) one octet from the client can inflate to a thousand, so skipping a
 * line to its end could mean inflating a gigabyte. Nothing more is read; the stream is out of
 * step, so the protocol says goodbye and closes.
 */
public final class InputOverrunException extends IOException {
    private final int limit;

    public InputOverrunException(int limit) {
        super("line longer than " + limit + " octets in compressed input");
        this.limit = limit;
    }

    public int limit() { return limit; }
}
