// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

/**
 * Where the admin page's picture of the cluster comes from. {@link NodeClusterView} builds it from
 * what one node knows (its replication status, its configured peers and its links to them); a
 * coordinated cluster builds it from its store map and node registry.
 */
@FunctionalInterface
public interface ClusterView {
    /** The cluster now; cheap enough to be asked twice a second per open page. */
    ClusterSnapshot snapshot();
}
