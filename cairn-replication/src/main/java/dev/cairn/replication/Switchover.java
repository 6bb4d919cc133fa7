// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.store.SlotStore;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A planned switchover of one store from this master to one of its replicas (a drain's step):
 * new writes wait at the master's {@link WriteGate}; once the replica has acknowledged every
 * change (and answered since the writes stopped, so it is alive), it is told to take the store
 * over at the next epoch ({@link Frame.TakeOver}), which it does without a jump or a new
 * UIDVALIDITY (it holds everything this master handed out); then this master becomes its replica
 * (fenced, epoch raised, durable) and the writes that waited are refused UNAVAILABLE (their
 * clients retry on the new master). If the budget passes first, or the replica is unreachable, of
 * an older protocol, or refuses, the switchover is abandoned: the gate opens and this master goes
 * on as before. Only when the replica was told and did not answer within the budget is the
 * outcome unknown: this master then stops writing for the store (two masters are worse than none).
 *
 * <p>In a cluster the store map must say so too: once the replica took the store over, the
 * {@link SwitchRecord} writes the new master and epoch into the store's record (a
 * compare-and-set). Should that fail, or this node die first, the new master's node writes it
 * (it masters the store at an epoch one past its record's). The record is written after the
 * takeover, not before, so that the replica takes the store over cleanly (no jump of UIDs, no
 * degraded start) rather than by following the map as a failover.
 */
final class Switchover {
    private static final Logger log = LoggerFactory.getLogger(Switchover.class);
    /** Changes the replica may still lack when the gate closes (the rest are waited for behind it). */
    private static final long CLOSE_ENOUGH = 50;
    /** How long a replica told to take over has to answer, at least (beyond the budget if need be). */
    static final Duration ANSWER_AT_LEAST = Duration.ofSeconds(2);

    /** What the switchover tells its node at the end. */
    interface Outcome {
        /** The replica took the store over at the epoch: this node becomes its replica. */
        void switched();

        /** The replica was told and did not answer: this node stops writing for the store, whatever happened there. */
        void unknown(String why);
    }

    private final String store;
    private final StoreMaster master;
    private final SlotStore slot;
    private final SlotRef to;
    private final long epoch;
    private final Duration budget;
    private final SwitchRecord record;

    /** @param record the cluster's record of the switch, or null (a static pair: the replica's answer decides) */
    Switchover(String store, StoreMaster master, SlotStore slot, SlotRef to, long epoch, Duration budget, SwitchRecord record) {
        this.record = record;
        this.store = store;
        this.master = master;
        this.slot = slot;
        this.to = to;
        this.epoch = epoch;
        this.budget = budget;
    }

    SwitchResult run(Outcome outcome) throws InterruptedException {
        ChannelSender[] cs = master.senders.get(to.node());
        if (cs == null) return notDone(0, 0, to + " is not a replica of store " + store + " here");
        for (ChannelSender c : cs) {
            if (!c.connected()) return notDone(0, 0, to + " is unreachable (channel " + c.config.channel() + " not connected)");
            if (c.version() < FrameCodec.VERSION) {
                return notDone(0, 0, to + " speaks replication protocol " + c.version() + " (an older Cairn): it cannot take a "
                        + "switchover; upgrade it (or promote it after stopping this master)");
            }
        }
        long start = System.nanoTime(), deadline = start + budget.toNanos();
        // Before the gate: let the replica come close, so that writes wait only for the last few changes.
        while (behind(cs) > CLOSE_ENOUGH && System.nanoTime() - start < budget.toNanos() / 2) Thread.sleep(1);
        if (!master.gate.close()) return notDone(0, 0, "another switchover of store " + store + " is under way");
        long closed = System.nanoTime();
        boolean over = false;
        try {
            if (!master.gate.awaitQuiet(deadline)) return notDone(closed, 0, "commits under way did not finish within " + budget);
            Instant asked = Instant.ofEpochMilli(System.currentTimeMillis());
            cs[0].probe();
            String lacking;
            while ((lacking = lacking(cs, asked)) != null) {
                if (System.nanoTime() > deadline) return notDone(closed, 0, to + " did not catch up within " + budget + ": " + lacking);
                Thread.sleep(1);
            }
            long caught = System.nanoTime();
            if (caught > deadline) return notDone(closed, caught, to + " caught up only after the budget of " + budget);
            CompletableFuture<Frame.TakenOver> answer = cs[0].takeOver(epoch);
            Frame.TakenOver t;
            try {
                // Once told, the replica is given time to answer (it answered a moment ago): an unknown outcome fences this master.
                t = answer.get(Math.max(deadline - caught, ANSWER_AT_LEAST.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                if (slot.replication().epoch() >= epoch) {
                    t = new Frame.TakenOver(store, epoch, true, ""); // it took over, and told this node another way first
                } else if (cs[0].withdrawTakeOver()) {
                    return notDone(closed, caught, to + "'s connection was lost before it was told to take over");
                } else {
                    String why = to + " was told to take over and did not answer in time ("
                            + (e.getCause() != null ? e.getCause().getMessage() : "timeout") + "): whether it did is unknown";
                    outcome.unknown(why);
                    over = true;
                    return new SwitchResult(store, to.toString(), false, epoch, since(closed), Duration.ofNanos(caught - closed), since(caught),
                            why + "; this node stopped writing for the store: if " + to + " is not its master, promote one");
                }
            }
            if (!t.done()) return notDone(closed, caught, to + " refused: " + t.reason());
            outcome.switched();
            over = true;
            recorded();
            long end = System.nanoTime();
            log.info("store {}: switched over to {} at epoch {}: writes waited {} ms (catch-up {} ms, takeover {} ms)", store, to, epoch,
                    (end - closed) / 1_000_000, (caught - closed) / 1_000_000, (end - caught) / 1_000_000);
            return new SwitchResult(store, to.toString(), true, epoch, Duration.ofNanos(end - closed), Duration.ofNanos(caught - closed),
                    Duration.ofNanos(end - caught), "");
        } finally {
            if (!over) master.gate.open();
        }
    }

    /** The store map told (a cluster); a failure is the new master's node's to mend. */
    private void recorded() {
        if (record == null) return;
        try {
            String refused = record.record(epoch);
            if (refused != null) log.warn("store {}: the store map does not name {} master at epoch {}: {}", store, to, epoch, refused);
        } catch (Exception e) {
            log.warn("store {}: the store map was not told that {} is master at epoch {} ({}): its node writes it", store, to, epoch, e.toString());
        }
    }

    private SwitchResult notDone(long closed, long caught, String why) {
        log.warn("store {}: switchover to {} abandoned: {}", store, to, why);
        Duration pause = closed == 0 ? Duration.ZERO : since(closed);
        return new SwitchResult(store, to.toString(), false, epoch, pause, caught == 0 ? pause : Duration.ofNanos(caught - closed),
                caught == 0 ? Duration.ZERO : since(caught), why);
    }

    private static Duration since(long nanos) { return Duration.ofNanos(System.nanoTime() - nanos); }

    /** Changes the replica has not acknowledged, all channels together (a channel still catching up counts as far). */
    private static long behind(ChannelSender[] cs) {
        long n = 0;
        for (ChannelSender c : cs) n += c.caughtUpSinceConnect() ? c.lagChanges() : Long.MAX_VALUE / cs.length;
        return n;
    }

    /**
     * Why the replica does not hold everything yet (null: it does): a channel down or behind, no
     * answer since {@code asked}, or a user whose seq here it has not acknowledged.
     */
    private String lacking(ChannelSender[] cs, Instant asked) {
        for (ChannelSender c : cs) {
            if (!c.connected()) return "channel " + c.config.channel() + " is not connected";
            if (!c.caughtUpSinceConnect()) return "channel " + c.config.channel() + " is catching up";
            long lag = c.lagChanges();
            if (lag > 0) return lag + " change(s) behind on channel " + c.config.channel();
        }
        Instant ack = master.replicaStatus(to.node()).lastAck();
        if (ack == null || ack.isBefore(asked)) return "no answer since the writes stopped";
        for (String user : slot.users()) {
            long seq = slot.replication().seq(user), acked = cs[slot.channelOf(user)].acked(user);
            if (seq > 0 && acked < seq) return user + " acknowledged up to " + acked + " of " + seq;
        }
        return null;
    }
}
