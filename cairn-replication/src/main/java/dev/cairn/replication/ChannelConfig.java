// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.Tuning;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;

/**
 * What one channel to one replica needs to know, handed over by its store's master instead of
 * read through it: a {@link ChannelSender} sees its settings and nothing else of its owner.
 *
 * @param store   the store's name (in frames, thread names and logs)
 * @param node    this node's name (the Hello frame)
 * @param keys    the cluster secret both sides prove (see {@link Handshake}) and the TLS context (null:
 *                plain TCP), read at each connection: a reload reaches the next one
 * @param replica the replica's node name
 * @param where   where the replica listens, looked up at each connection (the store map may learn a new address)
 * @param channel which of the slot's channels this one is
 */
record ChannelConfig(String store, String node, ReplicationKeys keys, Tuning tuning, String replica,
                     java.util.function.Supplier<InetSocketAddress> where, int channel) {
    /** At a fixed address. */
    ChannelConfig(String store, String node, ReplicationKeys keys, Tuning tuning, String replica, InetSocketAddress address, int channel) {
        this(store, node, keys, tuning, replica, () -> address, channel);
    }

    /** Where the replica listens now. */
    InetSocketAddress address() { return where.get(); }

    /** "s1 -> n2 channel 0": how logs and failures name the channel. */
    String describe() { return store + " -> " + replica + " channel " + channel; }

    /** "s1 -> n2": the kind of a failure, the same for every channel to the replica (one line for all of them). */
    String describeReplica() { return store + " -> " + replica; }

    byte[] secret() { return keys.secret(); }

    /** Null: plain TCP. */
    SSLContext tls() { return keys.tls(); }
}
