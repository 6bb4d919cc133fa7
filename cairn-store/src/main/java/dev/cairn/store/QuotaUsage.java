// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/**
 * A user's usage and limits (RFC 9208 STORAGE in octets and MESSAGE count). A limit of -1 means none.
 */
public record QuotaUsage(long storageUsed, long storageLimit, long messagesUsed, long messagesLimit) {
}
