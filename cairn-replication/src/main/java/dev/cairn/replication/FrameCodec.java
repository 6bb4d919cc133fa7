// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.*;
import dev.cairn.store.BodyId;
import dev.cairn.store.replication.UserImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Frames to bytes and back: {@code [length u32][type u8][payload]}, big-endian, length counting
 * type and payload. Nothing read from the wire is trusted: every count and length is checked
 * against what remains of the frame, and a frame over the limit is refused before it is buffered.
 */
public final class FrameCodec {
    private FrameCodec() {}

    /**
     * The version a master says in Hello. 2 adds {@link Frame.InSync} and streamed resyncs
     * ({@link Frame.ImagePart}, {@link Frame.ImageWants}, {@link Frame.ImageBodies}, {@link Frame.ImageEnd}); 3
     * adds the planned switchover ({@link Frame.TakeOver}, {@link Frame.TakenOver}). A master falls back to
     * {@link #SWITCHLESS_VERSION} for a replica that refuses 3 (it cannot be switched to).
     */
    public static final int VERSION = 3;
    /** The version a master speaks to a replica that refused {@link #VERSION}: everything but the switchover. */
    public static final int SWITCHLESS_VERSION = 2;
    /**
     * The oldest master a replica still follows: a version-1 master never says InSync (the replica
     * stays out of sync) and resyncs with whole-user Resync frames, which replicas still install.
     */
    public static final int OLDEST_VERSION = 1;
    /** Default frame limit: a 64 MiB message body and its record fit. */
    public static final int DEFAULT_MAX_FRAME = 80 << 20;
    /**
     * Frame limit before the peer has proven the cluster secret: Hello, Challenge, Auth and Error
     * with names of up to about 2 KiB fit; nothing larger is buffered for a stranger.
     */
    public static final int HANDSHAKE_MAX_FRAME = 4096;

    static final int HELLO = 1, CHALLENGE = 2, AUTH = 3, POSITIONS = 4, CHANGES = 5, ACK = 6, NEED_BODIES = 7,
            NEED_RESYNC = 8, RESERVE = 9, RESERVED = 10, RESYNC = 11, ERROR = 12, RECONCILE = 13, DIVERGED = 14, IN_SYNC = 15,
            IMAGE_PART = 16, IMAGE_WANTS = 17, IMAGE_BODIES = 18, IMAGE_END = 19, TAKE_OVER = 20, TAKEN_OVER = 21;

    /** A frame that cannot be decoded; the channel closes with this as the logged reason. */
    public static final class BadFrame extends Exception {
        public BadFrame(String message) { super(message); }
    }

    public static byte[] encode(Frame frame) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(0);
            switch (frame) {
                case Hello f -> {
                    out.writeByte(HELLO); out.writeShort(f.version()); str(out, f.node()); str(out, f.store());
                    out.writeLong(f.epoch()); out.writeInt(f.channel()); blob(out, f.nonce());
                }
                case Challenge f -> {
                    out.writeByte(CHALLENGE); str(out, f.node()); out.writeLong(f.epoch()); blob(out, f.nonce()); blob(out, f.mac());
                }
                case Auth f -> { out.writeByte(AUTH); blob(out, f.mac()); }
                case Positions f -> {
                    out.writeByte(POSITIONS); str(out, f.store()); out.writeLong(f.epoch()); out.writeInt(f.positions().size());
                    for (Position p : f.positions()) { str(out, p.user()); out.writeLong(p.seq()); out.writeLong(p.recordEpoch()); }
                }
                case Changes f -> {
                    out.writeByte(CHANGES); str(out, f.store()); out.writeLong(f.epoch()); out.writeInt(f.entries().size());
                    for (Entry e : f.entries()) {
                        str(out, e.user()); out.writeLong(e.seq()); blob(out, e.record()); out.writeInt(e.bodies().size());
                        for (Body b : e.bodies()) { out.write(b.id().bytes()); blob(out, b.bytes()); }
                    }
                }
                case Ack f -> {
                    out.writeByte(ACK); str(out, f.store()); out.writeLong(f.epoch()); out.writeInt(f.applied().size());
                    for (Applied a : f.applied()) { str(out, a.user()); out.writeLong(a.seq()); }
                }
                case NeedBodies f -> {
                    out.writeByte(NEED_BODIES); str(out, f.user()); out.writeLong(f.seq()); out.writeInt(f.bodies().size());
                    for (BodyId b : f.bodies()) out.write(b.bytes());
                }
                case NeedResync f -> { out.writeByte(NEED_RESYNC); str(out, f.user()); str(out, f.reason()); }
                case Reserve f -> {
                    out.writeByte(RESERVE); out.writeLong(f.request()); str(out, f.user()); out.writeLong(f.seq());
                    out.writeInt(f.uids().size());
                    for (UidCeiling u : f.uids()) { str(out, u.mailbox()); out.writeLong(u.uid()); }
                    out.writeLong(f.otherUids());
                }
                case Reserved f -> { out.writeByte(RESERVED); out.writeLong(f.request()); }
                case Resync f -> {
                    out.writeByte(RESYNC); str(out, f.user()); out.writeLong(f.seq()); out.writeBoolean(f.last()); blob(out, f.part());
                }
                case Reconcile f -> { out.writeByte(RECONCILE); str(out, f.user()); out.writeLong(f.fromSeq()); }
                case Diverged f -> {
                    out.writeByte(DIVERGED); str(out, f.user()); out.writeInt(f.records().size());
                    for (byte[] r : f.records()) blob(out, r);
                    out.writeInt(f.bodies().size());
                    for (Body b : f.bodies()) { out.write(b.id().bytes()); blob(out, b.bytes()); }
                }
                case InSync f -> {
                    out.writeByte(IN_SYNC); str(out, f.store()); out.writeLong(f.epoch()); out.writeLong(f.version());
                    out.writeBoolean(f.inSync()); out.writeLong(f.since());
                }
                case ImagePart f -> {
                    out.writeByte(IMAGE_PART); str(out, f.user()); out.writeLong(f.seq()); out.writeInt(f.entries().size());
                    for (UserImage.Entry e : f.entries()) { out.writeByte(e.family()); blob(out, e.key()); blob(out, e.value()); }
                }
                case ImageWants f -> {
                    out.writeByte(IMAGE_WANTS); str(out, f.user()); out.writeInt(f.bodies().size());
                    for (BodyId b : f.bodies()) out.write(b.bytes());
                }
                case ImageBodies f -> {
                    out.writeByte(IMAGE_BODIES); str(out, f.user()); out.writeInt(f.bodies().size());
                    for (Body b : f.bodies()) { out.write(b.id().bytes()); blob(out, b.bytes()); }
                }
                case ImageEnd f -> { out.writeByte(IMAGE_END); str(out, f.user()); out.writeLong(f.seq()); }
                case TakeOver f -> { out.writeByte(TAKE_OVER); str(out, f.store()); out.writeLong(f.epoch()); out.writeLong(f.newEpoch()); }
                case TakenOver f -> {
                    out.writeByte(TAKEN_OVER); str(out, f.store()); out.writeLong(f.epoch()); out.writeBoolean(f.done()); str(out, f.reason());
                }
                case Frame.Error f -> { out.writeByte(ERROR); out.writeInt(f.code()); out.writeLong(f.epoch()); str(out, f.message()); }
            }
            out.flush();
            byte[] b = bytes.toByteArray();
            ByteBuffer.wrap(b).putInt(b.length - 4);
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        blob(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void blob(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    /** Decodes one frame's body (type and payload, without the length prefix). */
    public static Frame decode(byte[] body) throws BadFrame {
        return decode(body, body.length);
    }

    /** Decodes the frame body in the first {@code length} bytes of {@code body}. */
    private static Frame decode(byte[] body, int length) throws BadFrame {
        if (length == 0) throw new BadFrame("empty frame");
        ByteBuffer in = ByteBuffer.wrap(body, 0, length);
        int type = in.get() & 0xFF;
        try {
            Frame f = switch (type) {
                case HELLO -> new Hello(in.getShort() & 0xFFFF, str(in), str(in), in.getLong(), in.getInt(), blob(in));
                case CHALLENGE -> new Challenge(str(in), in.getLong(), blob(in), blob(in));
                case AUTH -> new Auth(blob(in));
                case POSITIONS -> {
                    String store = str(in);
                    long epoch = in.getLong();
                    int n = count(in, 20);
                    List<Position> ps = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) ps.add(new Position(str(in), in.getLong(), in.getLong()));
                    yield new Positions(store, epoch, ps);
                }
                case CHANGES -> {
                    String store = str(in);
                    long epoch = in.getLong();
                    int n = count(in, 24);
                    List<Entry> es = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        String user = str(in);
                        long seq = in.getLong();
                        byte[] record = blob(in);
                        int nb = count(in, BodyId.LENGTH + 4);
                        List<Body> bodies = new ArrayList<>(nb);
                        for (int j = 0; j < nb; j++) bodies.add(new Body(bodyId(in), blob(in)));
                        es.add(new Entry(user, seq, record, bodies));
                    }
                    yield new Changes(store, epoch, es);
                }
                case ACK -> {
                    String store = str(in);
                    long epoch = in.getLong();
                    int n = count(in, 12);
                    List<Applied> as = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) as.add(new Applied(str(in), in.getLong()));
                    yield new Ack(store, epoch, as);
                }
                case NEED_BODIES -> {
                    String user = str(in);
                    long seq = in.getLong();
                    int n = count(in, BodyId.LENGTH);
                    List<BodyId> ids = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) ids.add(bodyId(in));
                    yield new NeedBodies(user, seq, ids);
                }
                case NEED_RESYNC -> new NeedResync(str(in), str(in));
                case RESERVE -> {
                    long request = in.getLong();
                    String user = str(in);
                    long seq = in.getLong();
                    int n = count(in, 12);
                    List<UidCeiling> us = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) us.add(new UidCeiling(str(in), in.getLong()));
                    yield new Reserve(request, user, seq, us, in.getLong());
                }
                case RESERVED -> new Reserved(in.getLong());
                case RESYNC -> {
                    String user = str(in);
                    long seq = in.getLong();
                    byte last = in.get();
                    if (last != 0 && last != 1) throw new BadFrame("resync last flag " + last);
                    yield new Resync(user, seq, last == 1, blob(in));
                }
                case RECONCILE -> new Reconcile(str(in), in.getLong());
                case DIVERGED -> {
                    String user = str(in);
                    int n = count(in, 4);
                    List<byte[]> records = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) records.add(blob(in));
                    int nb = count(in, BodyId.LENGTH + 4);
                    List<Body> bodies = new ArrayList<>(nb);
                    for (int j = 0; j < nb; j++) bodies.add(new Body(bodyId(in), blob(in)));
                    yield new Diverged(user, records, bodies);
                }
                case IN_SYNC -> {
                    String store = str(in);
                    long epoch = in.getLong(), version = in.getLong();
                    byte inSync = in.get();
                    if (inSync != 0 && inSync != 1) throw new BadFrame("in-sync flag " + inSync);
                    yield new InSync(store, epoch, version, inSync == 1, in.getLong());
                }
                case ERROR -> new Frame.Error(in.getInt(), in.getLong(), str(in));
                case IMAGE_PART -> {
                    String user = str(in);
                    long seq = in.getLong();
                    int n = count(in, 9);
                    List<UserImage.Entry> es = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) es.add(new UserImage.Entry(in.get(), blob(in), blob(in)));
                    yield new ImagePart(user, seq, es);
                }
                case IMAGE_WANTS -> {
                    String user = str(in);
                    int n = count(in, BodyId.LENGTH);
                    List<BodyId> ids = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) ids.add(bodyId(in));
                    yield new ImageWants(user, ids);
                }
                case IMAGE_BODIES -> {
                    String user = str(in);
                    int n = count(in, BodyId.LENGTH + 4);
                    List<Body> bodies = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) bodies.add(new Body(bodyId(in), blob(in)));
                    yield new ImageBodies(user, bodies);
                }
                case IMAGE_END -> new ImageEnd(str(in), in.getLong());
                case TAKE_OVER -> new TakeOver(str(in), in.getLong(), in.getLong());
                case TAKEN_OVER -> {
                    String store = str(in);
                    long epoch = in.getLong();
                    byte done = in.get();
                    if (done != 0 && done != 1) throw new BadFrame("taken-over flag " + done);
                    yield new TakenOver(store, epoch, done == 1, str(in));
                }
                default -> throw new BadFrame("unknown frame type " + type);
            };
            if (in.hasRemaining()) throw new BadFrame("frame type " + type + " has " + in.remaining() + " trailing bytes");
            return f;
        } catch (BufferUnderflowException e) {
            throw new BadFrame("frame type " + type + " is truncated");
        }
    }

    private static int count(ByteBuffer in, int minBytesEach) throws BadFrame {
        int n = in.getInt();
        if (n < 0 || (long) n * minBytesEach > in.remaining()) throw new BadFrame("count " + n + " exceeds the frame");
        return n;
    }

    private static byte[] blob(ByteBuffer in) throws BadFrame {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) throw new BadFrame("length " + n + " exceeds the frame");
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static String str(ByteBuffer in) throws BadFrame {
        byte[] b = blob(in);
        if (b.length > 1 << 16) throw new BadFrame("string of " + b.length + " bytes");
        return new String(b, StandardCharsets.UTF_8);
    }

    private static BodyId bodyId(ByteBuffer in) {
        byte[] b = new byte[BodyId.LENGTH];
        in.get(b);
        return BodyId.of(b);
    }

    /**
     * Incremental decoder: feed bytes as they arrive, in pieces of any size; complete frames come
     * out in order. A length over the limit fails at once, before anything is buffered for it, and
     * a length under it is not trusted either: the frame's buffer starts small and grows (doubling,
     * up to the announced length) only as its bytes arrive, so a peer that announces a big frame
     * and sends little costs little.
     */
    public static final class Decoder {
        /** The first buffer of a frame, at most; larger frames grow from here as their bytes arrive. */
        static final int FIRST_BUFFER = 64 * 1024;

        private int maxFrame;
        private final byte[] header = new byte[4];
        private int headerFill;
        private byte[] body;
        private int bodyLength, bodyFill;

        public Decoder(int maxFrame) { this.maxFrame = maxFrame; }

        /** Changes the limit for the frames whose length has not been read yet (raised once the peer proved the secret). */
        public void limit(int maxFrame) { this.maxFrame = maxFrame; }

        public List<Frame> feed(byte[] data, int off, int len) throws BadFrame {
            List<Frame> out = new ArrayList<>();
            int end = off + len;
            while (off < end) {
                if (body == null) {
                    int n = Math.min(4 - headerFill, end - off);
                    System.arraycopy(data, off, header, headerFill, n);
                    headerFill += n;
                    off += n;
                    if (headerFill < 4) break;
                    int length = ByteBuffer.wrap(header).getInt();
                    if (length <= 0 || length > maxFrame) throw new BadFrame("frame length " + Integer.toUnsignedString(length) + " (limit " + maxFrame + ")");
                    body = new byte[Math.min(length, FIRST_BUFFER)];
                    bodyLength = length;
                    bodyFill = 0;
                }
                if (bodyFill == body.length) body = Arrays.copyOf(body, (int) Math.min(bodyLength, 2L * body.length));
                int n = Math.min(body.length - bodyFill, end - off);
                System.arraycopy(data, off, body, bodyFill, n);
                bodyFill += n;
                off += n;
                if (bodyFill == bodyLength) {
                    byte[] complete = body;
                    body = null;
                    headerFill = 0;
                    out.add(decode(complete, bodyLength));
                }
            }
            return out;
        }

        /** True between frames (nothing partial buffered). */
        public boolean idle() { return body == null && headerFill == 0; }

        /** Bytes held for the frame being received (its buffer's size), for tests. */
        int buffered() { return body == null ? 0 : body.length; }
    }

    static String describe(Frame f) {
        return f.getClass().getSimpleName() + (f instanceof Frame.Error e ? "(" + e.code() + ", " + e.message() + ")" : "");
    }

    static boolean same(byte[] a, byte[] b) { return Arrays.equals(a, b); }
}
