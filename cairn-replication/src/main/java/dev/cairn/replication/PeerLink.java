// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;

/**
 * Whether a peer of a store (a replica, seen by the master's channels to it; or a master, seen by
 * the replica's listener) is connected, as all the store's channels together see it. A change of
 * state is logged once for the peer, not once per channel and attempt: one WARN when it becomes
 * unreachable (with since when and why), one INFO when it is back (with how long it was away).
 * Status and metrics read the state, since when it holds, the last failure and the last Ack.
 */
final class PeerLink {
    /** The peer as status shows it: connected or not (channels up of all), since when, why the last failure, the last Ack. */
    record State(boolean connected, int channelsUp, int channels, Instant since, String lastFailure, Instant lastAck) {}

    private final Logger log;
    private final FailureLog failures;
    /**
     * "replica n2 of store s1": how the lines name the peer. It is part of each line's template, not
     * an argument: the server's log filter folds warnings by template, and one peer's outage must not
     * hide another's (names come from the config, or from a master that proved the secret).
     */
    private final String peer;
    /** What this node does meanwhile ("retrying", "waiting for it to connect"), said in the WARN. */
    private final String meanwhile;
    private final boolean[] up;
    private int upCount;
    /** A WARN said the peer is unreachable, and no channel has connected since. */
    private boolean unreachable;
    /** Whether a channel ever connected (the first connection is logged as such, not as a return). */
    private boolean everUp;
    /** When the current state began: the first channel up, or the last channel lost (or the start). */
    private Instant since = Instant.now();
    private String lastFailure;
    private volatile long lastAckMillis;

    PeerLink(Logger log, String peer, String meanwhile, int channels) {
        this.meanwhile = meanwhile;
        this.log = log;
        this.failures = new FailureLog(log);
        this.peer = peer.replace("{", "(").replace("}", ")");
        this.up = new boolean[channels];
    }

    /** Failures of the peer's channels other than its absence, folded for all of them (one line a minute per kind). */
    FailureLog failures() { return failures; }

    /** The channel finished its handshake. */
    synchronized void connected(int channel, long epoch) {
        if (up[channel]) return;
        up[channel] = true;
        if (upCount++ > 0) return;
        Instant now = Instant.now();
        if (unreachable && everUp) {
            log.info(peer + " is back after {} (unreachable since {}), epoch {}", human(Duration.between(since, now)), since, epoch);
        } else if (unreachable) {
            log.info(peer + " connected, epoch {}, after {} unreachable (since {})", epoch, human(Duration.between(since, now)), since);
        } else if (!everUp) {
            log.info(peer + " connected, epoch {}", epoch);
        } else {
            log.debug(peer + " connected again, epoch {}", epoch);
        }
        unreachable = false;
        everUp = true;
        since = now;
        lastFailure = null;
    }

    /**
     * The channel's established connection ended. When it was the last one, the peer is no longer
     * connected; {@code warnNow}: say so at once (the replica's side, which cannot try again itself),
     * else only when an attempt to reconnect fails ({@link #attemptFailed}).
     */
    synchronized void lost(int channel, String why, boolean warnNow) {
        if (!up[channel]) return;
        up[channel] = false;
        lastFailure = FailureLog.printable(why);
        if (--upCount > 0) return;
        since = Instant.now();
        if (warnNow) warnUnreachable();
    }

    /**
     * A master's channel to the replica failed ({@code wasConnected}: after its handshake). The
     * replica being away (any IOException: refused, reset, timed out, a handshake it refused) is
     * said once for all channels ({@link #lost}, {@link #attemptFailed}); a bad frame or a bug
     * through the {@link FailureLog}, a line a minute per kind for all channels.
     */
    void channelFailed(ChannelConfig channel, boolean wasConnected, Throwable e) {
        String why;
        if (e instanceof IOException) {
            why = e.getClass().getSimpleName() + ": " + e.getMessage();
            // A replica that answered and refused (another secret, say) is misconfigured, not away: said with its reason, once a minute.
            if (e instanceof MasterHandshake.Refused) failures.warn("replication " + channel.describeReplica() + ": handshake refused", channel.address(), FailureLog.printable(e.getMessage()));
            else log.debug("replication {}: {}", channel.describe(), why);
        } else if (e instanceof FrameCodec.BadFrame) {
            why = "bad frame: " + e.getMessage();
            failures.warn("replication " + channel.describeReplica() + ": BadFrame", channel.address(), "channel " + channel.channel() + ": " + e.getMessage());
        } else {
            why = e.toString();
            failures.unexpected("replication " + channel.describeReplica(), channel.address(), e);
        }
        if (wasConnected) lost(channel.channel(), why, false);
        else attemptFailed(why);
    }

    /** An attempt to connect the channel failed before its handshake completed. */
    synchronized void attemptFailed(String why) {
        lastFailure = FailureLog.printable(why);
        if (upCount == 0) warnUnreachable();
    }

    private void warnUnreachable() {
        if (unreachable) return;
        unreachable = true;
        log.warn(peer + " unreachable since {}, {}: {}", since, meanwhile, lastFailure);
    }

    /** The peer answered a frame (an Ack). */
    void acked() { lastAckMillis = System.currentTimeMillis(); }

    synchronized State state() {
        long ack = lastAckMillis;
        return new State(upCount > 0, upCount, up.length, since, lastFailure, ack == 0 ? null : Instant.ofEpochMilli(ack));
    }

    /** "61.2 s", "3 min 5 s": how long the peer was away. */
    static String human(Duration d) {
        long s = d.getSeconds();
        if (s < 60) return d.truncatedTo(ChronoUnit.MILLIS).toMillis() / 100 / 10.0 + " s";
        if (s < 3600) return s / 60 + " min " + s % 60 + " s";
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }
}
