// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/**
 * The znodes of one cluster (README.md, "Paths"): every path is built here and nowhere else.
 */
public record ClusterPaths(String root) {
    public String nodes() { return root + "/nodes"; }

    public String node(String node) { return nodes() + "/" + ClusterNames.requireNode(node); }

    /** Front-ends' registrations ({@code cairn proxy}, issue 21). */
    public String frontends() { return root + "/frontends"; }

    public String frontend(String name) { return frontends() + "/" + ClusterNames.requireNode(name); }

    public String stores() { return root + "/stores"; }

    public String store(String store) { return stores() + "/" + ClusterNames.requireStore(store); }

    public String progress(String store) { return store(store) + "/progress"; }

    public String progress(String store, SlotRef slot) { return progress(store) + "/" + slot.progressName(); }

    public String controller() { return root + "/controller"; }

    /** Nodes being drained ({@code cairn node drain}): no master is given to them. */
    public String drains() { return root + "/drain"; }

    public String drain(String node) { return drains() + "/" + ClusterNames.requireNode(node); }

    public String failovers() { return root + "/failovers"; }

    /** The prefix of each sequential failover znode. */
    public String failoverPrefix() { return failovers() + "/f-"; }

    /** The store a path under {@link #stores()} names with nothing after it, or null. */
    public String storeOf(String path) {
        String prefix = stores() + "/";
        if (!path.startsWith(prefix)) return null;
        String rest = path.substring(prefix.length());
        return rest.isEmpty() || rest.indexOf('/') >= 0 ? null : rest;
    }

    /** The store of a progress path {@code stores/<store>/progress/<node>_<slot>}, or null. */
    public String storeOfProgress(String path) {
        String prefix = stores() + "/";
        if (!path.startsWith(prefix)) return null;
        String[] parts = path.substring(prefix.length()).split("/", -1);
        return parts.length == 3 && parts[1].equals("progress") && !parts[2].isEmpty() ? parts[0] : null;
    }

    /** The front-end a path {@code frontends/<name>} names, or null. */
    public String frontendOf(String path) {
        String prefix = frontends() + "/";
        if (!path.startsWith(prefix)) return null;
        String rest = path.substring(prefix.length());
        return rest.isEmpty() || rest.indexOf('/') >= 0 ? null : rest;
    }

    /** The node a path {@code nodes/<node>} names, or null. */
    public String nodeOf(String path) {
        String prefix = nodes() + "/";
        if (!path.startsWith(prefix)) return null;
        String rest = path.substring(prefix.length());
        return rest.isEmpty() || rest.indexOf('/') >= 0 ? null : rest;
    }
}
