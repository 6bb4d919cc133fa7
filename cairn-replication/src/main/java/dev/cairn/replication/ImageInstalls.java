// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Body;
import dev.cairn.replication.Frame.ImageBodies;
import dev.cairn.replication.Frame.ImageEnd;
import dev.cairn.replication.Frame.ImagePart;
import dev.cairn.replication.Frame.ImageWants;
import dev.cairn.replication.Frame.Resync;
import dev.cairn.store.BodyId;
import dev.cairn.store.replication.MissingBodies;
import dev.cairn.store.replication.NeedsResync;
import dev.cairn.store.replication.SlotReplication;
import dev.cairn.store.replication.UserImage;
import dev.cairn.store.replication.UserImageStaging;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica's side of whole-user copies on one connection. Streamed ones (protocol 2:
 * ImagePart, ImageBodies, ImageEnd; PROTOCOL.md "Streamed copies"): one user at a time, staged
 * in the slot as the parts come ({@link UserImageStaging}) and switched over at the end; what is
 * held here is one part's records whose bodies have not come yet. Whole images in Resync frames
 * (from a master of protocol 1): assembled in memory, at most {@link #MAX_IMAGE} bytes, and
 * installed at once. A connection that ends mid-copy drops what was staged; the user's old copy
 * is untouched.
 */
final class ImageInstalls implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageInstalls.class);
    /** The largest whole image a protocol-1 master may send. */
    static final long MAX_IMAGE = 1L << 31;

    private final SlotReplication r;
    private final String store;
    private UserImageStaging staging;
    private String user;
    private long seq;
    private final Map<String, ByteArrayOutputStream> images = new HashMap<>();

    ImageInstalls(SlotReplication r, String store) {
        this.r = r;
        this.store = store;
    }

    /** Stages a part (the first one starts the copy); the answer names the bodies this slot lacks. */
    ImageWants part(ImagePart p) throws FrameCodec.BadFrame {
        if (staging == null) {
            staging = r.stageUser(p.user(), p.seq());
            user = p.user();
            seq = p.seq();
            log.info("replication {}: receiving a copy of {} at seq {}", store, user, seq);
        } else if (!p.user().equals(user) || p.seq() != seq) {
            throw new FrameCodec.BadFrame("a part of " + p.user() + "@" + p.seq() + " while " + user + "@" + seq + " is being copied");
        }
        try {
            return new ImageWants(user, staging.add(p.entries()));
        } catch (IllegalArgumentException | MissingBodies e) {
            throw new FrameCodec.BadFrame("copy of " + user + ": " + e.getMessage());
        }
    }

    void bodies(ImageBodies b) throws FrameCodec.BadFrame {
        if (staging == null || !b.user().equals(user)) throw new FrameCodec.BadFrame("bodies of " + b.user() + " while " + user + " is being copied");
        Map<BodyId, byte[]> given = new HashMap<>();
        for (Body body : b.bodies()) given.put(body.id(), body.bytes());
        try {
            staging.bodies(given);
        } catch (NeedsResync e) {
            throw new FrameCodec.BadFrame("copy of " + user + ": " + e.getMessage());
        }
    }

    /** Switches the user over to the copy; null when done, else why not (the master copies the user again). */
    String end(ImageEnd e) throws FrameCodec.BadFrame {
        if (staging == null || !e.user().equals(user) || e.seq() != seq) {
            throw new FrameCodec.BadFrame("the end of " + e.user() + "@" + e.seq() + " while " + (user == null ? "nothing" : user + "@" + seq) + " is being copied");
        }
        try {
            staging.finish();
            log.info("replication {}: installed a copy of {} at seq {}", store, user, seq);
            return null;
        } catch (MissingBodies | NeedsResync x) {
            log.info("replication {}: the copy of {} is incomplete ({}); the old copy stays", store, user, x.getMessage());
            return x.getMessage();
        } finally {
            staging.close();
            staging = null;
            user = null;
        }
    }

    /**
     * A part of a whole image (protocol 1); the image once its last part came, else null. A
     * gone user (seq -1) gives an image with no entries.
     */
    UserImage resync(Resync rs) throws FrameCodec.BadFrame {
        ByteArrayOutputStream buf = images.computeIfAbsent(rs.user(), u -> new ByteArrayOutputStream());
        if ((long) buf.size() + rs.part().length > MAX_IMAGE) throw new FrameCodec.BadFrame("user image over " + MAX_IMAGE + " bytes");
        buf.writeBytes(rs.part());
        if (!rs.last()) return null;
        images.remove(rs.user());
        if (rs.seq() < 0) return new UserImage(rs.user(), -1, java.util.List.of(), Map.of());
        UserImage image;
        try {
            image = UserImageCodec.decode(buf.toByteArray());
        } catch (IllegalArgumentException e) {
            throw new FrameCodec.BadFrame(e.getMessage());
        }
        if (!image.user().equals(rs.user())) throw new FrameCodec.BadFrame("image of " + image.user() + " sent as " + rs.user());
        return image;
    }

    /** The connection ended: a copy under way is dropped (the old one stays). */
    @Override public void close() {
        images.clear();
        if (staging != null) {
            log.info("replication {}: the copy of {} was interrupted; the old copy stays", store, user);
            staging.close();
            staging = null;
        }
    }
}
