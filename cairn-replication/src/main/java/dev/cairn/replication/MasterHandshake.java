// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Auth;
import dev.cairn.replication.Frame.Challenge;
import dev.cairn.replication.Frame.Hello;
import dev.cairn.replication.Frame.Positions;
import java.io.IOException;

/**
 * The master's side of a channel's handshake (PROTOCOL.md): Hello, the replica's Challenge and
 * proof of the cluster secret, the master's Auth, and the replica's Positions, which say where
 * shipping resumes. Frames stay small ({@link FrameCodec#HANDSHAKE_MAX_FRAME}) until the replica
 * has proven the secret.
 */
final class MasterHandshake {
    private MasterHandshake() {}

    /** The replica knows a newer epoch than this master's (its Error frame said so): the channel stops for good. */
    static final class StaleEpoch extends RuntimeException {
        final long epoch;

        StaleEpoch(long epoch, String message) {
            super(message, null, false, false);
            this.epoch = epoch;
        }
    }

    /** The replica answered and refused the handshake (another cluster secret, an unknown store): not a replica that is away. */
    static class Refused extends IOException {
        Refused(String message) { super(message); }
    }

    /**
     * The replica refused the version this master said: an older Cairn. Protocol 3 brought only the
     * switchover, so the master connects again saying {@link FrameCodec#SWITCHLESS_VERSION}.
     */
    static final class OlderReplica extends Refused {
        OlderReplica(String message) { super(message); }
    }

    /**
     * Runs the handshake on c (opened with the handshake's frame limit) at the master's epoch,
     * saying {@code version} in Hello; the replica's positions.
     */
    static Positions run(FrameConnection c, ChannelConfig config, long epoch, int version) throws IOException, FrameCodec.BadFrame {
        c.setTimeout((int) config.tuning().replyTimeout().toMillis());
        byte[] nonce = Handshake.nonce();
        String store = config.store();
        int channel = config.channel();
        c.send(new Hello(version, config.node(), store, epoch, channel, nonce));
        Challenge ch = expect(c, config, Challenge.class, version);
        if (!Handshake.verify(Handshake.replicaProof(config.secret(), nonce, ch.nonce(), store, channel, epoch), ch.mac())) {
            c.send(new Frame.Error(Frame.BAD_AUTH, epoch, "replica proof does not match the cluster secret"));
            throw new Refused("replica " + config.replica() + " failed authentication");
        }
        c.limit(config.tuning().maxFrame());
        c.send(new Auth(Handshake.masterProof(config.secret(), nonce, ch.nonce(), store, channel, epoch)));
        return expect(c, config, Positions.class, version);
    }

    private static <T extends Frame> T expect(FrameConnection c, ChannelConfig config, Class<T> type, int version)
            throws IOException, FrameCodec.BadFrame {
        Frame f = c.read();
        if (f instanceof Frame.Error e) {
            if (e.code() == Frame.STALE_EPOCH) throw new StaleEpoch(e.epoch(), e.message());
            if (e.code() == Frame.VERSION && version > FrameCodec.SWITCHLESS_VERSION) {
                throw new OlderReplica("replica " + config.replica() + " speaks an older protocol (" + e.message()
                        + "): replicating with version " + FrameCodec.SWITCHLESS_VERSION + "; it cannot take a switchover until upgraded");
            }
            if (e.code() == Frame.VERSION) {
                throw new Refused("replica " + config.replica() + " runs an older Cairn (" + e.message() + "; this node speaks "
                        + FrameCodec.SWITCHLESS_VERSION + " to " + FrameCodec.VERSION + "): upgrade it, replicas before masters");
            }
            throw new Refused("replica " + config.replica() + " refused: " + e.message());
        }
        if (!type.isInstance(f)) throw new FrameCodec.BadFrame("expected " + type.getSimpleName() + ", got " + FrameCodec.describe(f));
        return type.cast(f);
    }
}
