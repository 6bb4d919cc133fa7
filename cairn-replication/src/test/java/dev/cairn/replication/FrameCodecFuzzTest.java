// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The replication stream as a peer (or anyone who reaches the port) may send it: the incremental
 * decoder gives, for the stream split at any point or fed one octet at a time, exactly the frames
 * that decoding each length-prefixed frame whole gives, and fails with BadFrame (never another
 * exception) where that does. A decoded frame encodes to a stable form.
 */
class FrameCodecFuzzTest {
    private static final int MAX_FRAME = 1 << 12;

    @FuzzTest
    void decodeSplitAnywhere(byte[] wire) {
        Reference expected = reference(wire);
        for (Frame f : expected.frames) {
            byte[] once = FrameCodec.encode(f);
            assertThat(encodeAll(decodeWhole(once))).isEqualTo(once);
        }
        check(wire, expected, new int[] {wire.length});
        for (int split = 1; split < wire.length && wire.length <= 512; split++) check(wire, expected, new int[] {split, wire.length - split});
        int[] ones = new int[wire.length];
        Arrays.fill(ones, 1);
        check(wire, expected, ones);
    }

    /** Feeds the stream in the given pieces and compares with the reference. */
    private static void check(byte[] wire, Reference expected, int[] pieces) {
        FrameCodec.Decoder decoder = new FrameCodec.Decoder(MAX_FRAME);
        List<Frame> got = new ArrayList<>();
        int off = 0;
        try {
            for (int n : pieces) {
                got.addAll(decoder.feed(wire, off, n));
                off += n;
            }
        } catch (FrameCodec.BadFrame e) {
            assertThat(expected.failed).as("refused, but each frame decodes whole").isTrue();
            // frames decoded earlier in the failing piece are dropped with the connection
            assertThat(got.size()).isLessThanOrEqualTo(expected.frames.size());
            assertThat(encodeAll(got)).isEqualTo(encodeAll(expected.frames.subList(0, got.size())));
            return;
        }
        assertThat(expected.failed).as("accepted, but a frame is bad").isFalse();
        assertThat(encodeAll(got)).isEqualTo(encodeAll(expected.frames));
        assertThat(decoder.idle()).isEqualTo(expected.idle);
    }

    private record Reference(List<Frame> frames, boolean failed, boolean idle) {}

    /** Each frame cut out by its length prefix and decoded whole. */
    private static Reference reference(byte[] wire) {
        List<Frame> frames = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(wire);
        while (in.remaining() >= 4) {
            int length = in.getInt();
            if (length <= 0 || length > MAX_FRAME) return new Reference(frames, true, false);
            if (in.remaining() < length) return new Reference(frames, false, false);
            byte[] body = new byte[length];
            in.get(body);
            try {
                frames.add(FrameCodec.decode(body));
            } catch (FrameCodec.BadFrame e) {
                return new Reference(frames, true, false);
            }
        }
        return new Reference(frames, false, !in.hasRemaining());
    }

    private static List<Frame> decodeWhole(byte[] frame) {
        try {
            return new FrameCodec.Decoder(Integer.MAX_VALUE).feed(frame, 0, frame.length);
        } catch (FrameCodec.BadFrame e) {
            throw new AssertionError("its own encoding refused: " + e.getMessage(), e);
        }
    }

    private static byte[] encodeAll(List<Frame> frames) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Frame f : frames) out.writeBytes(FrameCodec.encode(f));
        return out.toByteArray();
    }
}
