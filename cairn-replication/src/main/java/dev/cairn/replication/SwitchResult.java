// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.util.ArrayList;
import java.util.List;

/**
 * What a switchover ({@link Replication#switchOver}) did: done (the store is mastered by {@code to} at {@code epoch}) or not,
 * why not, and how long writes waited ({@code pause}: the gate closed to the switch's end), of
 * which the replica's catching up ({@code catchUp}) and the takeover itself ({@code takeOver}).
 */
public record SwitchResult(String store, String to, boolean done, long epoch, java.time.Duration pause,
                           java.time.Duration catchUp, java.time.Duration takeOver, String why) {
    /** What the operator is told: the first line says where the store is now. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(done ? "store " + store + " switched over to " + to + " at epoch " + epoch + ": this node is its replica now"
                : "store " + store + " not switched over to " + to + ": " + why);
        out.add("write pause " + millis(pause) + " (catch-up " + millis(catchUp) + ", takeover " + millis(takeOver) + ")");
        return out;
    }

    private static String millis(java.time.Duration d) { return String.format(java.util.Locale.ROOT, "%.1f ms", d.toNanos() / 1e6); }
}
