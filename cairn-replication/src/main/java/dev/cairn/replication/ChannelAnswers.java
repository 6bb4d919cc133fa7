// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Ack;
import dev.cairn.replication.Frame.Applied;
import dev.cairn.replication.Frame.Diverged;
import dev.cairn.replication.Frame.ImageWants;
import dev.cairn.replication.Frame.NeedBodies;
import dev.cairn.replication.Frame.NeedResync;
import dev.cairn.replication.Frame.Reserved;
import dev.cairn.replication.Frame.TakenOver;
import dev.cairn.replication.MasterHandshake.StaleEpoch;
import dev.cairn.store.BodyId;
import dev.cairn.store.SlotStore;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reading side of one connection of a {@link ChannelSender}, on a thread of its own beside the
 * sending one: the replica's answers, each handed to what it answers. Acks come in the order the
 * frames went ({@link ChannelProgress}); in between the replica asks for bodies again (NeedBodies)
 * or for a whole copy (NeedResync), and answers a copy's part ({@link ImageShipping}), a
 * reservation or a TakeOver ({@link ReservationRequests}) and a request for its diverged records
 * ({@link ChannelReconciliation}). A refusal, a newer epoch or a bad frame ends the connection.
 */
final class ChannelAnswers implements Runnable {
    /** The channel's own: its lines read as the sender's. */
    private static final Logger log = LoggerFactory.getLogger(ChannelSender.class);

    /** What the answers change on the sending side. */
    interface Sending {
        boolean stopped();

        /** The replica answered now: the reply timeout counts from here. */
        void heard(long now);

        /** The number of the frame the answer just read answers (the oldest in flight). */
        long answering();

        /** The frame answered leaves the window: the next may go. */
        void answered();

        /** The user has changes to ship. */
        void changed(String user);

        /** The user is to be copied whole. */
        void resync(String user);

        /** The replica lacks these bodies of the user's record at seq: they go again, with the user's records from there. */
        void rewind(String user, long seq, List<BodyId> bodies);

        /** The answers ended (the connection failed, the replica refused or knows a newer epoch): the connection ends. */
        void failed(Throwable e);
    }

    private final FrameConnection c;
    private final ChannelConfig config;
    private final SlotStore slot;
    private final PeerLink link;
    private final ChannelProgress progress;
    private final ImageShipping images;
    private final ReservationRequests reservations;
    private final ChannelReconciliation reconciliation;
    private final Sending sender;

    ChannelAnswers(FrameConnection c, ChannelConfig config, SlotStore slot, PeerLink link, ChannelProgress progress,
                   ImageShipping images, ReservationRequests reservations, ChannelReconciliation reconciliation, Sending sender) {
        this.c = c;
        this.config = config;
        this.slot = slot;
        this.link = link;
        this.progress = progress;
        this.images = images;
        this.reservations = reservations;
        this.reconciliation = reconciliation;
        this.sender = sender;
    }

    /** Reads answers until the connection ends or the channel stops. */
    @Override public void run() {
        try {
            while (!sender.stopped()) {
                Frame f = c.read();
                sender.heard(System.nanoTime());
                switch (f) {
                    case Ack a -> {
                        link.acked();
                        long frame = sender.answering();
                        for (Applied ap : a.applied()) {
                            if (progress.applied(ap.user(), ap.seq(), frame)) sender.changed(ap.user());
                        }
                        sender.answered();
                    }
                    case NeedBodies nb -> {
                        if (!nb.bodies().stream().allMatch(slot.replication()::hasBody)) {
                            // Expunged here since: that record can never be applied as it was; copy the user.
                            sender.resync(nb.user());
                            continue;
                        }
                        sender.rewind(nb.user(), nb.seq(), nb.bodies());
                    }
                    case NeedResync nr -> {
                        log.info("replication {} -> {}: {} needs a resync: {}", config.store(), config.replica(), nr.user(), nr.reason());
                        sender.resync(nr.user());
                    }
                    case ImageWants w -> {
                        sender.answering();
                        images.wants(w);
                        sender.answered();
                    }
                    case Reserved done -> reservations.reserved(done.request());
                    case TakenOver t -> reservations.takenOver(t);
                    case Diverged d -> reconciliation.merge(d);
                    case Frame.Error e -> {
                        if (e.code() == Frame.STALE_EPOCH) throw new StaleEpoch(e.epoch(), e.message());
                        link.failures().warn("replication " + config.describeReplica() + ": replica refused", config.address(),
                                "channel " + config.channel() + ": " + FailureLog.printable(e.message()));
                        throw new IOException("replica refused: " + e.message());
                    }
                    default -> throw new FrameCodec.BadFrame("unexpected " + FrameCodec.describe(f));
                }
            }
        } catch (IOException | FrameCodec.BadFrame | RuntimeException | java.lang.Error e) {
            sender.failed(e);
            c.close();
        }
    }
}
