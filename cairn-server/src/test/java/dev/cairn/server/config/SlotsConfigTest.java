// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** [store] slots: a node's several slots, their names, their directories, and the stores that name them. */
class SlotsConfigTest {
    private static final String REPLICATION = "[replication]\nnode = \"n1\"\nsecret = \"0123456789abcdef\"\n";
    private static final String PEERS = "[replication.peers]\nn1 = \"127.0.0.1:7101\"\nn2 = \"127.0.0.1:7102\"\n";

    private static String slots(List<String> names) {
        return "[store]\nslots = [" + names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", ")) + "]\n";
    }

    @Test void aNodeHasOneSlotS0WhereItAlwaysWasUnlessTheConfigNamesMore() {
        NodeConfig one = ConfigLoader.parse("data = \"/d\"\n", "c");
        assertThat(one.store().slots()).containsExactly("s0");
        assertThat(one.metadataDir("s0")).isEqualTo(Path.of("/d", "slot-0", "meta"));
        assertThat(one.bodiesDir("s0")).isEqualTo(Path.of("/d", "slot-0", "bodies"));

        NodeConfig two = ConfigLoader.parse("data = \"/d\"\n" + slots(List.of("a", "b-2")), "c");
        assertThat(two.store().slots()).containsExactly("a", "b-2");
        assertThat(two.metadataDir("a")).isEqualTo(two.metadataDir()).isEqualTo(Path.of("/d", "slot-0", "meta"));
        assertThat(two.metadataDir("b-2")).isEqualTo(Path.of("/d", "slots", "b-2", "meta"));
        assertThat(two.bodiesDir("b-2")).isEqualTo(Path.of("/d", "slots", "b-2", "bodies"));
    }

    @Test void aSlotNameThatIsNoSafePathSegmentOrNamedTwiceIsRefusedWithTheKey() {
        for (String[] bad : new String[][] {
                {"[store]\nslots = [\"../etc\"]\n", "c: store.slots: '../etc' may hold only a-z, 0-9, '-' and '_'"},
                {"[store]\nslots = [\"a/b\"]\n", "c: store.slots: 'a/b' may hold only"},
                {"[store]\nslots = [\"S1\"]\n", "c: store.slots: 'S1' may hold only"},
                {"[store]\nslots = [\"-x\"]\n", "c: store.slots: '-x' may hold only"},
                {"[store]\nslots = [\"\"]\n", "c: store.slots: '' must have 1 to 32 characters"},
                {"[store]\nslots = [\"" + "a".repeat(33) + "\"]\n", "c: store.slots: '" + "a".repeat(33) + "' must have 1 to 32"},
                {"[store]\nslots = [\"a\", \"b\", \"a\"]\n", "c: store.slots: 'a' is named twice"},
                {"[store]\nslots = []\n", "c: store.slots: must be a list of slot names"},
                {"[store]\nslots = \"a\"\n", "c: store.slots: must be a list of slot names"},
                {"[store]\nslots = [1]\n", "c: store.slots: must be a list of slot names"}}) {
            assertThatThrownBy(() -> ConfigLoader.parse(bad[0], "c")).as(bad[0]).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(bad[1]);
        }
        assertThat(ConfigLoader.parse("[store]\nslots = [\"" + "a".repeat(32) + "\", \"0_z\"]\n", "c").store().slots()).hasSize(2);
    }

    @Test void aNodeHoldsAtMostSixtyFourSlots() {
        List<String> max = IntStream.range(0, StoreConfig.MAX_SLOTS).mapToObj(i -> "s" + i).toList();
        assertThat(ConfigLoader.parse(slots(max), "c").store().slots()).hasSize(64);
        List<String> over = IntStream.range(0, StoreConfig.MAX_SLOTS + 1).mapToObj(i -> "s" + i).toList();
        assertThatThrownBy(() -> ConfigLoader.parse(slots(over), "c")).isInstanceOf(ConfigException.class)
                .hasMessage("c: store.slots: 65 slots: a node holds at most 64");
    }

    @Test void aStoreThatGivesThisNodeASlotItDoesNotHaveIsRefused() {
        String stores = "[[replication.stores]]\nname = \"A\"\nmaster = \"n1/a\"\nreplicas = [\"n2/a\"]\n"
                + "[[replication.stores]]\nname = \"B\"\nmaster = \"n2/b\"\nreplicas = [\"n1/b\"]\n";
        NodeConfig crosswise = ConfigLoader.parse(slots(List.of("a", "b")) + REPLICATION + PEERS + stores, "c");
        assertThat(crosswise.replication().config().stores()).hasSize(2);
        assertThatThrownBy(() -> ConfigLoader.parse(slots(List.of("a")) + REPLICATION + PEERS + stores, "c"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("c: replication.stores: store B names n1/b, but this node's slots are [a] ([store] slots)");
        String twice = "[[replication.stores]]\nname = \"A\"\nmaster = \"n1/a\"\nreplicas = [\"n2/a\"]\n"
                + "[[replication.stores]]\nname = \"B\"\nmaster = \"n2/b\"\nreplicas = [\"n1/a\"]\n";
        assertThatThrownBy(() -> ConfigLoader.parse(slots(List.of("a", "b")) + REPLICATION + PEERS + twice, "c"))
                .hasMessage("c: replication.stores: slot n1/a is in store A and in store B: a slot belongs to one store");
    }

    @Test void theOldReplicationSlotKeyStillNamesTheNodesOneSlot() {
        String store = "[[replication.stores]]\nname = \"s1\"\nmaster = \"n1/x0\"\nreplicas = [\"n2/s0\"]\n";
        NodeConfig old = ConfigLoader.parse("data = \"/d\"\n" + REPLICATION + "slot = \"x0\"\n" + PEERS + store, "c");
        assertThat(old.store().slots()).containsExactly("x0");
        assertThat(old.metadataDir("x0")).isEqualTo(Path.of("/d", "slot-0", "meta"));
        assertThatThrownBy(() -> ConfigLoader.parse(slots(List.of("x0")) + REPLICATION + "slot = \"x0\"\n" + PEERS + store, "c"))
                .hasMessage("c: replication.slot: the node's slots are named in [store] slots; remove this key");
        assertThatThrownBy(() -> ConfigLoader.parse(REPLICATION + "slot = \"../x\"\n" + PEERS, "c"))
                .hasMessageStartingWith("c: replication.slot: '../x' may hold only");
    }
}
