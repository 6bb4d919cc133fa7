// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/** A znode's data is not a record this version can read: refused, never guessed at. */
public final class RecordFormatException extends Exception {
    public RecordFormatException(String message) {
        super(message);
    }

    public RecordFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
