// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

/**
 * A user's quota limits: storage in octets and a message count (RFC 9208 STORAGE and MESSAGE).
 * {@link #NONE} (-1) means no limit.
 */
public record QuotaLimits(long storageBytes, long messages) {
    public static final long NONE = -1;
    public static final QuotaLimits UNLIMITED = new QuotaLimits(NONE, NONE);

    public QuotaLimits {
        if (storageBytes < NONE || messages < NONE) {
            throw new DirectoryException(DirectoryException.Reason.INVALID_ARGUMENT,
                    "a quota limit is a count >= 0, or -1 for none");
        }
    }

    public boolean hasStorageLimit() { return storageBytes != NONE; }

    public boolean hasMessageLimit() { return messages != NONE; }
}
