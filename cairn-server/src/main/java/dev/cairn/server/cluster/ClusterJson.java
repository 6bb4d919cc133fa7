// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import java.util.Locale;
import java.util.Map;

/**
 * A {@link ClusterSnapshot} as the JSON of {@code GET /cluster/state} (the admin page reads it;
 * so can scripts). Names are snake_case; what is not known is null; times are ISO 8601 in UTC;
 * enums are lower case ("reachable", "forced").
 *
 * <pre>
 * {"at": "...", "source": "node n2", "stale": null,
 *  "nodes": [{"name": "n1", "self": false, "reach": "unreachable", "since": "...", "why": "...",
 *             "addresses": {"replication": "10.0.0.1:7000"}, "slots": ["s0"]}],
 *  "stores": [{"name": "s1", "master": "n2/s0", "mode": "sync", "epoch": 1, "degraded_since": "...", "refusing": false,
 *              "replicas": [{"slot": "n1/s0", "in_sync": false, "sync": "out of sync since ...", "connected": false,
 *                            "since": "...", "lag_changes": 0, "lag_seconds": 0.000}]}],
 *  "failovers": [{"at": "...", "store": "s1", "from": "n1/s0", "to": "n2/s0", "epoch": 1, "how": "clean"}],
 *  "frontends": [{"name": "proxy-1", "version": "0.1.0", "joined": "...", "addresses": {"imap": "10.0.0.9:143"}}]}
 * </pre>
 */
public final class ClusterJson {
    private ClusterJson() {}

    public static String write(ClusterSnapshot s) {
        JsonWriter w = new JsonWriter().beginObject();
        w.name("at").value(s.at()).name("source").value(s.source()).name("stale").value(s.stale());
        w.name("nodes").beginArray();
        for (ClusterSnapshot.Node n : s.nodes()) {
            w.beginObject().name("name").value(n.name()).name("self").value(n.self()).name("reach").value(word(n.reach()))
                    .name("since").value(n.since()).name("why").value(n.why());
            w.name("addresses").beginObject();
            for (Map.Entry<String, String> a : new java.util.TreeMap<>(n.addresses()).entrySet()) w.name(a.getKey()).value(a.getValue());
            w.endObject().name("slots").beginArray();
            for (String slot : n.slots()) w.value(slot);
            w.endArray().endObject();
        }
        w.endArray().name("stores").beginArray();
        for (ClusterSnapshot.Store st : s.stores()) {
            w.beginObject().name("name").value(st.name()).name("master").value(st.master()).name("mode").value(st.mode())
                    .name("epoch").value(st.epoch()).name("degraded_since").value(st.degraded()).name("refusing").value(st.refusing());
            w.name("replicas").beginArray();
            for (ClusterSnapshot.Replica r : st.replicas()) {
                w.beginObject().name("slot").value(r.slot()).name("in_sync").value(r.inSync()).name("sync").value(r.sync())
                        .name("connected").value(r.connected()).name("since").value(r.since()).name("lag_changes").value(r.lagChanges())
                        .name("lag_seconds");
                if (r.lagMillis() == null) w.nullValue();
                else w.value(r.lagMillis() / 1000.0, 3);
                w.endObject();
            }
            w.endArray().endObject();
        }
        w.endArray().name("failovers").beginArray();
        for (ClusterSnapshot.Failover f : s.failovers()) {
            w.beginObject().name("at").value(f.at()).name("store").value(f.store()).name("from").value(f.from()).name("to").value(f.to())
                    .name("epoch").value(f.epoch()).name("how").value(word(f.how())).endObject();
        }
        w.endArray().name("frontends").beginArray();
        for (ClusterSnapshot.Frontend f : s.frontends()) {
            w.beginObject().name("name").value(f.name()).name("version").value(f.version()).name("joined").value(f.joined()).name("addresses").beginObject();
            for (Map.Entry<String, String> a : new java.util.TreeMap<>(f.addresses()).entrySet()) w.name(a.getKey()).value(a.getValue());
            w.endObject().endObject();
        }
        return w.endArray().endObject().toString();
    }

    private static String word(Enum<?> e) { return e.name().toLowerCase(Locale.ROOT); }
}
