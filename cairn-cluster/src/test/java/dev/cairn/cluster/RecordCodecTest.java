// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RecordCodecTest {
    static final SlotRef A = new SlotRef("n1", "s0"), B = new SlotRef("n2", "s0"), C = new SlotRef("n3", "s1");
    static final StoreRecord STORE = new StoreRecord("store-1", StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.REFUSE, A,
            List.of(B, C), 7, Set.of(C), 1_765_000_000_000L);
    static final String STORE_TEXT = """
            kind=store
            format=1
            name=store-1
            mode=sync
            on_replica_loss=refuse
            master=n1/s0
            replicas=n2/s0,n3/s1
            epoch=7
            in_sync=n3/s1
            master_since=1765000000000
            """;

    @Test
    void everyKindOfRecordComesBackAsItWasWritten() throws Exception {
        List<ClusterRecord> records = List.of(
                STORE,
                new StoreRecord("s", StoreRecord.Mode.ASYNC, StoreRecord.OnReplicaLoss.DEGRADE, A, List.of(), 0, Set.of(), 0),
                new NodeRecord("n1", Map.of("imap", "10.0.0.1:143", "replication", "[::1]:7000"), List.of("s0", "s1"), "0.1.0-SNAPSHOT", 3, 42),
                new NodeRecord("n2", Map.of(), List.of(), "1", 0, 0),
                new ProgressRecord(B, true, 7, 123_456_789_012L),
                new FailoverRecord(99, "store-1", A, B, 8, "node n1 is gone: ünïcode, \\ and = are kept"));
        for (ClusterRecord r : records) {
            assertThat(RecordCodec.decode(RecordCodec.encode(r), "/x", ClusterRecord.class)).isEqualTo(r);
        }
        assertThat(new String(RecordCodec.encode(STORE), StandardCharsets.UTF_8)).isEqualTo(STORE_TEXT);
    }

    @Test
    void aForcedPromotionIsWrittenAsOneKeyThatOlderReadersSkip() throws Exception {
        StoreRecord forced = STORE.force(B, 1_765_000_000_001L);
        String text = new String(RecordCodec.encode(forced), StandardCharsets.UTF_8);
        assertThat(text).endsWith("master_since=1765000000001\nforced=true\n").contains("master=n2/s0\n", "replicas=n3/s1,n1/s0\n", "epoch=8\n", "in_sync=\n");
        assertThat(RecordCodec.decode(RecordCodec.encode(forced), "/x", StoreRecord.class)).isEqualTo(forced);
        // forced=false is what an absent key means; an ordinary record's bytes do not change
        assertThat(RecordCodec.decode((STORE_TEXT + "forced=false\n").getBytes(StandardCharsets.UTF_8), "/x", StoreRecord.class)).isEqualTo(STORE);
        assertThatThrownBy(() -> RecordCodec.decode((STORE_TEXT + "forced=yes\n").getBytes(StandardCharsets.UTF_8), "/x"))
                .isInstanceOf(RecordFormatException.class).hasMessageContaining("forced is not true or false");
        // the next change of master clears it; a change of the in-sync set keeps it
        assertThat(forced.withInSync(Set.of(C)).forced()).isTrue();
        assertThat(forced.withInSync(Set.of(C)).promote(C, 2).forced()).isFalse();
        assertThatThrownBy(() -> STORE.force(A, 2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not one of its replicas");
    }

    @Test
    void aFailoverReasonWithLineBreaksCannotForgeKeys() throws Exception {
        FailoverRecord f = new FailoverRecord(1, "s", A, B, 2, "gone\nepoch=99\r\nto=n9/x");
        FailoverRecord back = RecordCodec.decode(RecordCodec.encode(f), "/f", FailoverRecord.class);
        assertThat(back.epoch()).isEqualTo(2);
        assertThat(back.to()).isEqualTo(B);
        assertThat(back.why()).doesNotContain("\n");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
            missing master      | master=n1/s0\\n                  |                                   | master is missing
            epoch not a number  | epoch=7                          | epoch=seven                       | epoch is not a number: seven
            negative epoch      | epoch=7                          | epoch=-1                          | epoch is negative
            epoch overflows     | epoch=7                          | epoch=99999999999999999999        | epoch is not a number
            unknown mode        | mode=sync                        | mode=eventually                   | mode is not one of [async, sync]
            bad slot            | master=n1/s0                     | master=n1                         | not NODE/SLOT: n1
            slot twice          | replicas=n2/s0,n3/s1             | replicas=n2/s0,n2/s0              | a slot twice
            two slots on a node | replicas=n2/s0,n3/s1             | replicas=n2/s0,n1/s9              | two slots on node n1
            in-sync not replica | in_sync=n3/s1                    | in_sync=n4/s1                     | not all replicas
            key twice           | epoch=7                          | epoch=7\\nepoch=8                 | epoch twice
            line without =      | epoch=7                          | epoch 7                           | line 8 is not key=value
            bad key             | epoch=7                          | Epoch=7                           | bad key "Epoch"
            newer format        | format=1                         | format=2                          | format 2, this version reads 1
            unknown kind        | kind=store                       | kind=shop                         | unknown kind "shop"
            control character   | name=store-1                     | name=store\\u00011                | a control character
            bad store name      | name=store-1                     | name=../etc                       | not a store name
            """)
    void aGarbledStoreRecordIsRefusedWithItsPathAndWhy(String what, String replace, String with, String why) {
        String text = STORE_TEXT.replace(unescape(replace), with == null ? "" : unescape(with));
        assertThat(text).as("the case changes the record").isNotEqualTo(STORE_TEXT);
        assertThatThrownBy(() -> RecordCodec.decode(text.getBytes(StandardCharsets.UTF_8), "/cairn/stores/store-1", StoreRecord.class))
                .isInstanceOf(RecordFormatException.class)
                .hasMessageStartingWith("/cairn/stores/store-1: ")
                .hasMessageContaining(why);
    }

    @Test
    void bytesThatAreNotARecordAreRefused() {
        byte[][] garbage = {
                {}, {(byte) 0xff, (byte) 0xfe, 'x', '\n'}, "kind=store\n".getBytes(StandardCharsets.UTF_8),
                STORE_TEXT.substring(0, STORE_TEXT.length() - 1).getBytes(StandardCharsets.UTF_8), "\n".getBytes(StandardCharsets.UTF_8),
                new byte[RecordCodec.MAX_BYTES + 1]};
        for (byte[] g : garbage) {
            assertThatThrownBy(() -> RecordCodec.decode(g, "/p", StoreRecord.class)).as(Arrays.toString(Arrays.copyOf(g, Math.min(g.length, 16))))
                    .isInstanceOf(RecordFormatException.class).hasMessageStartingWith("/p: ");
        }
    }

    @Test
    void everyProperPrefixOfARecordIsRefused() {
        byte[] whole = RecordCodec.encode(STORE);
        for (int n = 0; n < whole.length; n++) {
            byte[] prefix = Arrays.copyOf(whole, n);
            assertThatThrownBy(() -> RecordCodec.decode(prefix, "/p", StoreRecord.class)).as("first %d bytes", n)
                    .isInstanceOf(RecordFormatException.class);
        }
    }

    @Test
    void aRecordOfAnotherKindIsRefusedWhereAStoreBelongs() {
        byte[] progress = RecordCodec.encode(new ProgressRecord(B, true, 1, 1));
        assertThatThrownBy(() -> RecordCodec.decode(progress, "/cairn/stores/s", StoreRecord.class))
                .isInstanceOf(RecordFormatException.class).hasMessage("/cairn/stores/s: a progress record where a StoreRecord belongs");
    }

    @Test
    void unknownKeysOfANewerMinorVersionAreSkipped() throws Exception {
        byte[] more = (STORE_TEXT + "weight=3\n").getBytes(StandardCharsets.UTF_8);
        assertThat(RecordCodec.decode(more, "/p", StoreRecord.class)).isEqualTo(STORE);
    }

    static final String FRONTEND_TEXT = """
            kind=frontend
            format=1
            name=proxy-1
            address.imap=10.0.0.9:143
            address.imaps=[::1]:993
            version=0.1.0
            joined=42
            """;

    @Test
    void aFrontendRegistrationComesBackAsItWasWritten() throws Exception {
        FrontendRecord f = new FrontendRecord("proxy-1", Map.of("imaps", "[::1]:993", "imap", "10.0.0.9:143"), "0.1.0", 42);
        assertThat(new String(RecordCodec.encode(f), StandardCharsets.UTF_8)).isEqualTo(FRONTEND_TEXT);
        assertThat(RecordCodec.decode(FRONTEND_TEXT.getBytes(StandardCharsets.UTF_8), "/cairn/frontends/proxy-1", FrontendRecord.class)).isEqualTo(f);
        FrontendRecord bare = new FrontendRecord("p", Map.of(), "dev", 0);
        assertThat(RecordCodec.decode(RecordCodec.encode(bare), "/x", ClusterRecord.class)).isEqualTo(bare);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
            missing name        | name=proxy-1\\n                   |                                  | name is missing
            name with _         | name=proxy-1                       | name=proxy_1                     | may not hold '_'
            name a path         | name=proxy-1                       | name=../nodes/n1                 | not a node name
            address with space  | address.imap=10.0.0.9:143          | address.imap=10.0.0.9 143        | bad imap address
            missing version     | version=0.1.0\\n                  |                                  | version is missing
            joined not a number | joined=42                          | joined=yesterday                 | joined is not a number
            """)
    void aGarbledFrontendRecordIsRefusedWithItsPathAndWhy(String what, String replace, String with, String why) {
        String text = FRONTEND_TEXT.replace(unescape(replace), with == null ? "" : unescape(with));
        assertThat(text).as("the case changes the record").isNotEqualTo(FRONTEND_TEXT);
        assertThatThrownBy(() -> RecordCodec.decode(text.getBytes(StandardCharsets.UTF_8), "/cairn/frontends/proxy-1", FrontendRecord.class))
                .isInstanceOf(RecordFormatException.class)
                .hasMessageStartingWith("/cairn/frontends/proxy-1: ")
                .hasMessageContaining(why);
    }

    @Test
    void aNodeRegistrationIsRefusedWhereAFrontendBelongs() {
        byte[] node = RecordCodec.encode(new NodeRecord("n1", Map.of(), List.of(), "1", 0, 0));
        assertThatThrownBy(() -> RecordCodec.decode(node, "/cairn/frontends/n1", FrontendRecord.class))
                .isInstanceOf(RecordFormatException.class).hasMessage("/cairn/frontends/n1: a node record where a FrontendRecord belongs");
        assertThatThrownBy(() -> new FrontendRecord("p", Map.of("replication", "1.2.3.4:5"), "1", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown address kind replication");
    }

    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\u0001", "\u0001");
    }
}
