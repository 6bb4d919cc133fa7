// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cluster.ClusterSnapshot.Reach;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterJsonTest {
    private static final Instant T = Instant.parse("2026-12-07T04:00:00Z");

    @Test void aSnapshotIsWrittenWithEveryFieldAndNullForWhatIsNotKnown() {
        ClusterSnapshot s = new ClusterSnapshot(T, "node n2", null,
                List.of(new ClusterSnapshot.Node("n1", false, Map.of("replication", "127.0.0.1:7001"), Reach.UNREACHABLE, T, "EOFException: closed", List.of("s0")),
                        new ClusterSnapshot.Node("n2", true, Map.of("replication", "127.0.0.1:7002", "admin", "127.0.0.1:8002"), Reach.REACHABLE, T, null, List.of("s0"))),
                List.of(new ClusterSnapshot.Store("s1", "n2/s0", "sync", 1, T, false,
                        List.of(new ClusterSnapshot.Replica("n1/s0", false, "out of sync since " + T, false, T, 12L, 1500L),
                                new ClusterSnapshot.Replica("n3/s0", null, null, null, null, null, null)))),
                List.of(new ClusterSnapshot.Failover(T, "s1", "n1/s0", "n2/s0", 1, ClusterSnapshot.How.CLEAN),
                        new ClusterSnapshot.Failover(T, "s2", "n2/s0", null, 4, ClusterSnapshot.How.FENCED)),
                List.of(new ClusterSnapshot.Frontend("proxy-1", java.util.Map.of("imaps", "127.0.0.1:3993", "imap", "127.0.0.1:3143"), "0.1.0", T)));
        assertThat(ClusterJson.write(s)).isEqualTo("{\"at\":\"2026-12-07T04:00:00Z\",\"source\":\"node n2\",\"stale\":null,\"nodes\":["
                + "{\"name\":\"n1\",\"self\":false,\"reach\":\"unreachable\",\"since\":\"2026-12-07T04:00:00Z\",\"why\":\"EOFException: closed\","
                + "\"addresses\":{\"replication\":\"127.0.0.1:7001\"},\"slots\":[\"s0\"]},"
                + "{\"name\":\"n2\",\"self\":true,\"reach\":\"reachable\",\"since\":\"2026-12-07T04:00:00Z\",\"why\":null,"
                + "\"addresses\":{\"admin\":\"127.0.0.1:8002\",\"replication\":\"127.0.0.1:7002\"},\"slots\":[\"s0\"]}],"
                + "\"stores\":[{\"name\":\"s1\",\"master\":\"n2/s0\",\"mode\":\"sync\",\"epoch\":1,\"degraded_since\":\"2026-12-07T04:00:00Z\","
                + "\"refusing\":false,\"replicas\":["
                + "{\"slot\":\"n1/s0\",\"in_sync\":false,\"sync\":\"out of sync since 2026-12-07T04:00:00Z\",\"connected\":false,"
                + "\"since\":\"2026-12-07T04:00:00Z\",\"lag_changes\":12,\"lag_seconds\":1.500},"
                + "{\"slot\":\"n3/s0\",\"in_sync\":null,\"sync\":null,\"connected\":null,\"since\":null,\"lag_changes\":null,\"lag_seconds\":null}]}],"
                + "\"failovers\":[{\"at\":\"2026-12-07T04:00:00Z\",\"store\":\"s1\",\"from\":\"n1/s0\",\"to\":\"n2/s0\",\"epoch\":1,\"how\":\"clean\"},"
                + "{\"at\":\"2026-12-07T04:00:00Z\",\"store\":\"s2\",\"from\":\"n2/s0\",\"to\":null,\"epoch\":4,\"how\":\"fenced\"}],"
                + "\"frontends\":[{\"name\":\"proxy-1\",\"version\":\"0.1.0\",\"joined\":\"2026-12-07T04:00:00Z\","
                + "\"addresses\":{\"imap\":\"127.0.0.1:3143\",\"imaps\":\"127.0.0.1:3993\"}}]}");
    }

    @Test void aNameWithQuotesOrMarkupCannotBreakTheJsonNorBecomeHtml() {
        String evil = "s\"},\"x\":{\"<script>alert('1')</script>&\\\n\u2028\u0001";
        ClusterSnapshot s = new ClusterSnapshot(T, "node " + evil,
                List.of(new ClusterSnapshot.Node(evil, true, Map.of(evil, evil), Reach.REACHABLE, T, evil, List.of(evil))),
                List.of(new ClusterSnapshot.Store(evil, evil, null, 0, null, true, List.of())), List.of());
        String json = ClusterJson.write(s);
        String escaped = "s\\\"},\\\"x\\\":{\\\"\\u003cscript\\u003ealert(\\u00271\\u0027)\\u003c/script\\u003e\\u0026\\\\\\n\\u2028\\u0001";
        assertThat(json).startsWith("{\"at\":\"2026-12-07T04:00:00Z\",\"source\":\"node " + escaped + "\",\"stale\":null,\"nodes\":[{\"name\":\"" + escaped + "\",");
        assertThat(json).contains("\"addresses\":{\"" + escaped + "\":\"" + escaped + "\"},\"slots\":[\"" + escaped + "\"]}]");
        assertThat(json).contains("\"stores\":[{\"name\":\"" + escaped + "\",\"master\":\"" + escaped + "\",\"mode\":null,");
        assertThat(json).doesNotContain("<", ">", "&", "'", "\u2028", "\n", "\u0001");
    }

    @Test void theWriterPlacesCommasBetweenValuesOnly() {
        assertThat(new JsonWriter().beginArray().endArray().toString()).isEqualTo("[]");
        assertThat(new JsonWriter().beginObject().name("a").beginArray().value(1).value("x").beginObject().endObject().endArray()
                .name("b").value((Boolean) null).endObject().toString()).isEqualTo("{\"a\":[1,\"x\",{}],\"b\":null}");
    }
}
