// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/** A store record as read, with its znode's version: what a compare-and-set is made against. */
public record VersionedStore(StoreRecord record, int version) {
}
