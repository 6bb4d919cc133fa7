// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/**
 * What the cluster keeps in ZooKeeper, one record per znode ({@link RecordCodec} writes and reads
 * them; README.md shows each format).
 */
public sealed interface ClusterRecord permits NodeRecord, StoreRecord, ProgressRecord, FailoverRecord, FrontendRecord {
}
