// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.replication.Frame.*;
import dev.cairn.store.BodyId;
import dev.cairn.store.replication.UserImage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    static final BodyId BODY = BodyId.of(new byte[32]);

    static List<Frame> samples() {
        return List.of(
                new Hello(FrameCodec.VERSION, "node-a", "store-1", 7, 3, new byte[16]),
                new Challenge("node-b", 7, new byte[16], new byte[32]),
                new Auth(new byte[32]),
                new Positions("store-1", 7, List.of(new Position("alice", 12, 7), new Position("bøb", 0, -1))),
                new Changes("store-1", 7, List.of(
                        new Entry("alice", 13, new byte[]{1, 2, 3}, List.of(new Body(BODY, "hello".getBytes(StandardCharsets.UTF_8)))),
                        new Entry("carol", 2, new byte[0], List.of()))),
                new Ack("store-1", 7, List.of(new Applied("alice", 13))),
                new NeedBodies("alice", 13, List.of(BODY)),
                new NeedResync("alice", "gap"),
                new Reserve(99, "alice", 10_013, List.of(new UidCeiling("Fabc", 1_012)), 1000),
                new Reserved(99),
                new Resync("alice", 13, true, new byte[]{9, 9}),
                new Reconcile("alice", 12),
                new Diverged("alice", List.of(new byte[]{1}, new byte[0]), List.of(new Body(BODY, new byte[]{7}))),
                new InSync("store-1", 7, 1_765_000_000_123L, true, 1_765_000_000_000L),
                new InSync("store-1", 7, 1_765_000_000_124L, false, 1_765_000_000_100L),
                new TakeOver("store-1", 7, 8),
                new TakenOver("store-1", 8, true, ""),
                new TakenOver("store-1", 7, false, "this replica is at epoch 9"),
                new Frame.Error(Frame.STALE_EPOCH, 8, "moved on"),
                new ImagePart("alice", 13, List.of(new UserImage.Entry((byte) 0, new byte[]{1}, new byte[]{2, 3}),
                        new UserImage.Entry((byte) 2, new byte[0], new byte[0]))),
                new ImageWants("alice", List.of(BODY, BodyId.of(new byte[32]))),
                new ImageBodies("alice", List.of(new Body(BODY, "hello".getBytes(StandardCharsets.UTF_8)), new Body(BODY, new byte[0]))),
                new ImageEnd("alice", 13));
    }

    /** The frames of a streamed copy (protocol 2). */
    static List<Frame> imageFrames() { return samples().subList(samples().size() - 4, samples().size()); }

    /** Records with byte arrays compare by identity: compare their encodings instead. */
    static void assertSame(List<Frame> got, List<Frame> want) {
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < want.size(); i++) {
            assertThat(FrameCodec.encode(got.get(i))).isEqualTo(FrameCodec.encode(want.get(i)));
            assertThat(got.get(i).getClass()).isEqualTo(want.get(i).getClass());
        }
    }

    @Test void everyFrameSurvivesTheRoundTripSplitAtEveryByte() throws Exception {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (Frame f : samples()) all.writeBytes(FrameCodec.encode(f));
        byte[] wire = all.toByteArray();
        for (int split = 0; split <= wire.length; split++) {
            FrameCodec.Decoder d = new FrameCodec.Decoder(1 << 20);
            List<Frame> got = new ArrayList<>(d.feed(wire, 0, split));
            got.addAll(d.feed(wire, split, wire.length - split));
            assertSame(got, samples());
            assertThat(d.idle()).isTrue();
        }
        FrameCodec.Decoder d = new FrameCodec.Decoder(1 << 20);
        List<Frame> got = new ArrayList<>();
        for (byte b : wire) got.addAll(d.feed(new byte[]{b}, 0, 1));
        assertSame(got, samples());
    }

    @Test void aTakenOverWhoseFlagIsNeitherZeroNorOneIsABadFrame() {
        byte[] frame = FrameCodec.encode(new TakenOver("s1", 8, true, ""));
        int flag = 4 + 1 + 4 + 2 + 8;
        frame[flag] = 2;
        assertThatThrownBy(() -> FrameCodec.decode(Arrays.copyOfRange(frame, 4, frame.length)))
                .isInstanceOf(FrameCodec.BadFrame.class).hasMessageContaining("taken-over flag 2");
    }

    @Test void aFrameAtTheLimitPassesAndOneOverIsRefusedBeforeItIsBuffered() throws Exception {
        byte[] frame = FrameCodec.encode(new Resync("u", 1, true, new byte[100]));
        int length = frame.length - 4;
        assertThat(new FrameCodec.Decoder(length).feed(frame, 0, frame.length)).hasSize(1);
        assertThatThrownBy(() -> new FrameCodec.Decoder(length - 1).feed(frame, 0, 4))
                .isInstanceOf(FrameCodec.BadFrame.class).hasMessageContaining("limit");
        byte[] huge = ByteBuffer.allocate(4).putInt(-1).array();
        assertThatThrownBy(() -> new FrameCodec.Decoder(1 << 20).feed(huge, 0, 4)).isInstanceOf(FrameCodec.BadFrame.class);
    }

    @Test void anAnnouncedLengthIsNotAllocatedBeforeItsBytesArrive() throws Exception {
        // An 80 MiB frame announced (by a master that proved the secret, so the full limit applies) and 1 KiB sent.
        FrameCodec.Decoder d = new FrameCodec.Decoder(FrameCodec.DEFAULT_MAX_FRAME);
        byte[] start = ByteBuffer.allocate(4 + 1024).putInt(FrameCodec.DEFAULT_MAX_FRAME).put((byte) FrameCodec.RESYNC).array();
        assertThat(d.feed(start, 0, start.length)).isEmpty();
        assertThat(d.buffered()).isLessThanOrEqualTo(FrameCodec.Decoder.FIRST_BUFFER);
        // The buffer grows with what arrives: never more than twice what came.
        byte[] more = new byte[1 << 20];
        assertThat(d.feed(more, 0, more.length)).isEmpty();
        assertThat(d.buffered()).isLessThanOrEqualTo(2 * (1024 + more.length));
        assertThat(d.idle()).isFalse();

        // A real large frame still arrives whole, fed in the reads a socket gives.
        byte[] part = new byte[3 << 20];
        new java.util.Random(7).nextBytes(part);
        byte[] wire = FrameCodec.encode(new Resync("alice", 9, true, part));
        FrameCodec.Decoder fresh = new FrameCodec.Decoder(FrameCodec.DEFAULT_MAX_FRAME);
        List<Frame> got = new ArrayList<>();
        for (int off = 0; off < wire.length; off += 65_536) got.addAll(fresh.feed(wire, off, Math.min(65_536, wire.length - off)));
        assertThat(got).singleElement().isInstanceOfSatisfying(Resync.class, r -> assertThat(r.part()).isEqualTo(part));
        assertThat(fresh.idle()).isTrue();
        assertThat(fresh.buffered()).isZero();
    }

    @Test void theHandshakeLimitHoldsUntilItIsRaised() throws Exception {
        byte[] big = FrameCodec.encode(new Resync("u", 1, true, new byte[FrameCodec.HANDSHAKE_MAX_FRAME]));
        FrameCodec.Decoder d = new FrameCodec.Decoder(FrameCodec.HANDSHAKE_MAX_FRAME);
        assertThatThrownBy(() -> d.feed(big, 0, 4)).isInstanceOf(FrameCodec.BadFrame.class).hasMessageContaining("limit " + FrameCodec.HANDSHAKE_MAX_FRAME);
        FrameCodec.Decoder raised = new FrameCodec.Decoder(FrameCodec.HANDSHAKE_MAX_FRAME);
        raised.limit(FrameCodec.DEFAULT_MAX_FRAME);
        assertThat(raised.feed(big, 0, big.length)).hasSize(1);
    }

    @Test void lyingCountsLengthsAndTypesAreBadFramesNotCrashes() {
        byte[] ack = FrameCodec.encode(new Ack("s", 1, List.of(new Applied("u", 1))));
        byte[] body = Arrays.copyOfRange(ack, 4, ack.length);
        // count of entries claims more than the frame holds
        byte[] lying = body.clone();
        ByteBuffer.wrap(lying).putInt(1 + 4 + 1 + 8, 1_000_000);
        assertThatThrownBy(() -> FrameCodec.decode(lying)).isInstanceOf(FrameCodec.BadFrame.class);
        // truncated at every length
        for (int n = 0; n < body.length; n++) {
            byte[] cut = Arrays.copyOf(body, n);
            assertThatThrownBy(() -> FrameCodec.decode(cut)).isInstanceOf(FrameCodec.BadFrame.class);
        }
        byte[] trailing = Arrays.copyOf(body, body.length + 1);
        assertThatThrownBy(() -> FrameCodec.decode(trailing)).isInstanceOf(FrameCodec.BadFrame.class).hasMessageContaining("trailing");
        assertThatThrownBy(() -> FrameCodec.decode(new byte[]{(byte) 200})).isInstanceOf(FrameCodec.BadFrame.class).hasMessageContaining("unknown");
    }

    @Test void everyStreamedCopyFrameCutShortLyingOrLongIsABadFrame() throws Exception {
        for (Frame f : imageFrames()) {
            byte[] whole = FrameCodec.encode(f);
            byte[] body = Arrays.copyOfRange(whole, 4, whole.length);
            assertSame(List.of(FrameCodec.decode(body)), List.of(f));
            for (int n = 0; n < body.length; n++) {
                byte[] cut = Arrays.copyOf(body, n);
                assertThatThrownBy(() -> FrameCodec.decode(cut)).as("%s cut to %d bytes", f, n).isInstanceOf(FrameCodec.BadFrame.class);
            }
            byte[] trailing = Arrays.copyOf(body, body.length + 1);
            assertThatThrownBy(() -> FrameCodec.decode(trailing)).isInstanceOf(FrameCodec.BadFrame.class).hasMessageContaining("trailing");
            // Every 4-byte field that is a count or a length, made to claim more than the frame holds (or less than 0).
            for (int at = 1; at + 4 <= body.length; at++) {
                int was = ByteBuffer.wrap(body).getInt(at);
                if (was < 0 || was > body.length) continue;
                for (int lie : new int[]{body.length, Integer.MAX_VALUE, -1}) {
                    byte[] lying = body.clone();
                    ByteBuffer.wrap(lying).putInt(at, lie);
                    try {
                        Frame g = FrameCodec.decode(lying);
                        // It still decoded (the field was not a count there): it is a frame of the same type that encodes as it decoded.
                        assertThat(g.getClass()).isEqualTo(f.getClass());
                        assertThat(Arrays.copyOfRange(FrameCodec.encode(g), 4, lying.length + 4)).isEqualTo(lying);
                    } catch (FrameCodec.BadFrame expected) {
                        // refused, as it should be when the field was a count or a length
                    }
                }
            }
        }
        // A count that claims a million bodies in a few bytes is refused before anything is allocated for them.
        byte[] wants = Arrays.copyOfRange(FrameCodec.encode(new ImageWants("u", List.of())), 4, 4 + 1 + 4 + 1 + 4);
        ByteBuffer.wrap(wants).putInt(1 + 4 + 1, 1_000_000);
        assertThatThrownBy(() -> FrameCodec.decode(wants)).isInstanceOf(FrameCodec.BadFrame.class).hasMessageContaining("exceeds");
    }

    @Test void proofsBindSecretNoncesRoleStoreChannelAndEpoch() {
        byte[] secret = "s3cret".getBytes(StandardCharsets.UTF_8);
        byte[] m = Handshake.nonce(), r = Handshake.nonce();
        byte[] replica = Handshake.replicaProof(secret, m, r, "s1", 0, 4);
        assertThat(Handshake.verify(Handshake.replicaProof(secret, m, r, "s1", 0, 4), replica)).isTrue();
        assertThat(Handshake.verify(Handshake.replicaProof("other".getBytes(StandardCharsets.UTF_8), m, r, "s1", 0, 4), replica)).isFalse();
        assertThat(Handshake.verify(Handshake.replicaProof(secret, r, m, "s1", 0, 4), replica)).isFalse();
        assertThat(Handshake.verify(Handshake.masterProof(secret, m, r, "s1", 0, 4), replica)).isFalse();
        assertThat(Handshake.verify(Handshake.replicaProof(secret, m, r, "s2", 0, 4), replica)).isFalse();
        assertThat(Handshake.verify(Handshake.replicaProof(secret, m, r, "s1", 1, 4), replica)).isFalse();
        assertThat(Handshake.verify(Handshake.replicaProof(secret, m, r, "s1", 0, 5), replica)).isFalse();
    }
}
