// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Body;
import dev.cairn.replication.Frame.ImageBodies;
import dev.cairn.replication.Frame.ImageEnd;
import dev.cairn.replication.Frame.ImagePart;
import dev.cairn.replication.Frame.ImageWants;
import dev.cairn.store.BodyId;
import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.UserImageStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel's whole-user copies (resync), streamed (PROTOCOL.md, "Streamed copies"): one user at
 * a time, read from one view of the user ({@link UserImageStream}) in parts of about
 * {@code resync_chunk} bytes; the replica answers each part with the bodies it lacks, which go
 * next (frames of about {@code resync_chunk} bytes, or one body when it is larger), then the next
 * part, and at the end {@link ImageEnd}, which the replica answers with an Ack once it has
 * switched the user over. Nothing here holds more than one part or one frame of bodies, whatever
 * the user's size. The sending thread drives it between Changes frames (other users keep
 * flowing); the reading thread hands it the replica's answers.
 */
final class ImageShipping {
    private static final Logger log = LoggerFactory.getLogger(ImageShipping.class);

    /** A copy the replica has been sent whole (its Ack is on the way). */
    record Sent(String user, long seq) {}

    private final SlotStore slot;
    private final ChannelConfig config;
    /** The copy being sent and what its last part referenced: the sending thread's alone. */
    private UserImageStream stream;
    private Set<BodyId> partBodies = Set.of();
    private boolean lastPart;
    private long parts, bodies, bodyBytes;
    /** The user being copied (null: none); the sending thread writes it, the reading thread checks answers against it. */
    private volatile String user;
    /** The replica's answer to the last part, until the sending thread takes it. */
    private volatile List<BodyId> wanted;

    ImageShipping(SlotStore slot, ChannelConfig config) {
        this.slot = slot;
        this.config = config;
    }

    /** A copy is under way (no other starts until it ends). */
    boolean active() { return user != null; }

    /** The user is being copied: its Changes wait until the copy has gone. */
    boolean holds(String u) { return u.equals(user); }

    /** The replica answered the last part: the sending thread has the next step to take. */
    boolean ready() { return wanted != null; }

    /**
     * Starts copying the user with its first part; false when the user is not here (nothing sent).
     *
     * @param awaiting called before each frame that awaits an answer (a part, the end)
     */
    boolean start(FrameConnection c, String u, Runnable awaiting) throws IOException {
        UserImageStream s = slot.replication().streamUser(u);
        if (s == null) return false;
        stream = s;
        wanted = null;
        parts = bodies = bodyBytes = 0;
        user = u;
        log.info("replication {} -> {}: copying {} whole (seq {})", config.store(), config.replica(), u, s.seq());
        sendPart(c, awaiting);
        return true;
    }

    /** The reading thread: the replica's answer to the last part. */
    void wants(ImageWants w) throws FrameCodec.BadFrame {
        if (!w.user().equals(user) || wanted != null) throw new FrameCodec.BadFrame("ImageWants for " + w.user() + " answers no part");
        wanted = List.copyOf(w.bodies());
    }

    /**
     * The next step once the replica answered: the bodies it wants, then the next part, or the
     * end after the last one. Returns the copy when its end went, else null.
     */
    Sent step(FrameConnection c, Runnable awaiting) throws IOException, FrameCodec.BadFrame {
        List<BodyId> want = wanted;
        wanted = null;
        if (!partBodies.containsAll(want)) throw new FrameCodec.BadFrame("the replica wants bodies the part of " + user + " does not reference");
        boolean complete = sendBodies(c, want);
        if (complete && !lastPart) {
            sendPart(c, awaiting);
            return null;
        }
        // Also when a body is gone since the view was taken: the replica cannot switch without it,
        // says so (NeedResync), and the next copy is read from a newer view.
        Sent sent = new Sent(user, stream.seq());
        // Logged before the end leaves: without this line, the replica cannot have switched.
        log.info("replication {} -> {}: ending the copy of {} (seq {}): {} parts, {} bodies of {} bytes the replica lacked",
                config.store(), config.replica(), sent.user(), sent.seq(), parts, bodies, bodyBytes);
        awaiting.run();
        c.send(new ImageEnd(sent.user(), sent.seq()));
        end();
        return sent;
    }

    private void sendPart(FrameConnection c, Runnable awaiting) throws IOException {
        UserImageStream.Part p = stream.next(config.tuning().resyncChunk());
        partBodies = p.bodies();
        lastPart = p.last();
        parts++;
        awaiting.run();
        c.send(new ImagePart(user, stream.seq(), p.entries()));
    }

    /** Sends the bodies in frames of about resync_chunk bytes; false when one of them could not be read. */
    private boolean sendBodies(FrameConnection c, List<BodyId> ids) throws IOException {
        List<Body> frame = new ArrayList<>();
        long bytes = 0;
        boolean complete = true;
        for (BodyId id : ids) {
            byte[] b = stream.body(id);
            if (b == null) {
                log.info("replication {} -> {}: body {} of {} is gone since the copy began; copying the user again",
                        config.store(), config.replica(), id, user);
                complete = false;
                break;
            }
            frame.add(new Body(id, b));
            bytes += b.length;
            bodies++;
            bodyBytes += b.length;
            if (bytes >= config.tuning().resyncChunk()) {
                c.send(new ImageBodies(user, frame));
                frame = new ArrayList<>();
                bytes = 0;
            }
        }
        if (!frame.isEmpty()) c.send(new ImageBodies(user, frame));
        return complete;
    }

    private void end() {
        UserImageStream s = stream;
        stream = null;
        partBodies = Set.of();
        user = null;
        wanted = null;
        if (s != null) s.close();
    }

    /** The connection ended: the copy under way (returned, null if none) is to be sent again on the next one. */
    String disconnected() {
        String u = user;
        end();
        return u;
    }
}
