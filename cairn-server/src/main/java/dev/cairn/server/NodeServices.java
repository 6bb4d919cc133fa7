// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.directory.Directory;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.SlotStore;
import io.micrometer.core.instrument.MeterRegistry;

/** What a protocol listener is built on: the node's config, its slot, its directory and its meters. */
public record NodeServices(NodeConfig config, SlotStore store, Directory directory, MeterRegistry meters) {
}
