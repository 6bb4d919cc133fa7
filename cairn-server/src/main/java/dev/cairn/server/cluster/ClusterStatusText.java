// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link ClusterSnapshot} as plain text for a terminal ({@code cairn cluster status}): the nodes,
 * the stores with their masters, replicas, in-sync sets and lag, the last failovers. Every name is
 * printed with its control characters replaced, so that nothing read from the cluster can move a
 * terminal's cursor or change its colours.
 *
 * <pre>
 * cluster as seen by ZooKeeper /cairn at 2026-12-07T04:00:00Z
 *
 * nodes
 *   n1  reachable since 2026-12-07T03:00:00Z  slots s0,s1  imap 10.0.0.1:143
 *   n3  UNREACHABLE since 2026-12-07T03:59:00Z (1 min 0 s): not registered: its ZooKeeper session ended  slots s0
 *
 * stores
 *   s1  master n1/s0  sync  epoch 4  ok
 *       n2/s0  in sync      lag 0  (in the in-sync set at epoch 4; reports in sync at epoch 4, position 1200)
 *       n3/s0  out of sync  lag -  disconnected  (not in the in-sync set; reports no progress)
 *
 * last failovers
 *   2026-12-07T03:59:04Z  s1  n3/s0 -> n1/s0  epoch 4  clean
 * </pre>
 */
public final class ClusterStatusText {
    private ClusterStatusText() {}

    /** The snapshot as text; {@code now} dates the ages. */
    public static String render(ClusterSnapshot s, Instant now) {
        StringBuilder out = new StringBuilder();
        out.append("cluster as seen by ").append(clean(s.source())).append(" at ").append(time(s.at())).append('\n');
        if (s.stale() != null) {
            out.append("STALE (").append(age(s.at(), now)).append(" old): ").append(clean(s.stale())).append('\n');
        }
        out.append("\nnodes\n");
        if (s.nodes().isEmpty()) out.append("  none\n");
        int nodeWidth = width(s.nodes().stream().map(ClusterSnapshot.Node::name).toList());
        for (ClusterSnapshot.Node n : s.nodes()) {
            out.append("  ").append(pad(n.name(), nodeWidth)).append("  ");
            out.append(switch (n.reach()) {
                case REACHABLE -> "reachable";
                case UNREACHABLE -> "UNREACHABLE";
                case UNKNOWN -> "unknown";
            });
            if (n.since() != null) out.append(" since ").append(time(n.since())).append(" (").append(age(n.since(), now)).append(')');
            if (n.why() != null) out.append(": ").append(clean(n.why()));
            out.append("  slots ").append(n.slots().isEmpty() ? "-" : clean(String.join(",", n.slots())));
            for (Map.Entry<String, String> a : new TreeMap<>(n.addresses()).entrySet()) out.append("  ").append(clean(a.getKey())).append(' ').append(clean(a.getValue()));
            if (n.self()) out.append("  (this node)");
            out.append('\n');
        }
        if (!s.frontends().isEmpty()) {
            out.append("\nfront-ends\n");
            int width = width(s.frontends().stream().map(ClusterSnapshot.Frontend::name).toList());
            for (ClusterSnapshot.Frontend f : s.frontends()) {
                out.append("  ").append(pad(f.name(), width)).append("  since ").append(time(f.joined())).append("  version ").append(clean(f.version()));
                for (Map.Entry<String, String> a : new TreeMap<>(f.addresses()).entrySet()) out.append("  ").append(clean(a.getKey())).append(' ').append(clean(a.getValue()));
                out.append('\n');
            }
        }
        out.append("\nstores\n");
        if (s.stores().isEmpty()) out.append("  none\n");
        int storeWidth = width(s.stores().stream().map(ClusterSnapshot.Store::name).toList());
        for (ClusterSnapshot.Store st : s.stores()) {
            out.append("  ").append(pad(st.name(), storeWidth)).append("  master ").append(st.master() == null ? "NONE" : clean(st.master()))
                    .append("  ").append(st.mode() == null ? "mode not known" : clean(st.mode())).append("  epoch ").append(st.epoch()).append("  ")
                    .append(st.master() == null ? "NO MASTER" : st.refusing() ? "REFUSING WRITES since " + time(st.degraded())
                            : st.degraded() != null ? "DEGRADED since " + time(st.degraded()) : "ok").append('\n');
            if (st.replicas().isEmpty()) out.append(" ".repeat(storeWidth + 4)).append("no replica\n");
            int slotWidth = width(st.replicas().stream().map(ClusterSnapshot.Replica::slot).toList());
            for (ClusterSnapshot.Replica r : st.replicas()) {
                out.append(" ".repeat(storeWidth + 4)).append(pad(r.slot(), slotWidth)).append("  ")
                        .append(pad(r.inSync() == null ? "in sync ?" : r.inSync() ? "in sync" : "out of sync", 11))
                        .append("  lag ").append(r.lagChanges() == null ? "-" : r.lagChanges().toString());
                if (r.lagMillis() != null) out.append(String.format(java.util.Locale.ROOT, " (%.3f s)", r.lagMillis() / 1000.0));
                if (r.connected() != null) out.append(r.connected() ? "  connected" : "  disconnected");
                if (r.sync() != null) out.append("  (").append(clean(r.sync())).append(')');
                out.append('\n');
            }
        }
        out.append("\nlast failovers\n");
        if (s.failovers().isEmpty()) out.append("  none\n");
        for (ClusterSnapshot.Failover f : s.failovers()) {
            out.append("  ").append(time(f.at())).append("  ").append(clean(f.store())).append("  ").append(clean(f.from())).append(" -> ")
                    .append(f.to() == null ? "another slot" : clean(f.to())).append("  epoch ").append(f.epoch()).append("  ")
                    .append(f.how().name().toLowerCase(java.util.Locale.ROOT)).append('\n');
        }
        return out.toString();
    }

    private static String time(Instant t) { return t == null ? "?" : t.truncatedTo(ChronoUnit.SECONDS).toString(); }

    static String age(Instant since, Instant now) {
        long s = Math.max(0, Duration.between(since, now).toSeconds());
        if (s < 60) return s + " s";
        if (s < 3600) return s / 60 + " min " + s % 60 + " s";
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    private static int width(List<String> names) {
        return names.stream().mapToInt(n -> clean(n).length()).max().orElse(0);
    }

    private static String pad(String s, int width) {
        String c = clean(s);
        return c + " ".repeat(Math.max(0, width - c.length()));
    }

    /** Control characters (ESC among them) become {@code ?}. */
    static String clean(String s) {
        return s == null ? "" : s.replaceAll("[\\p{Cntrl}\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]", "?");
    }
}
