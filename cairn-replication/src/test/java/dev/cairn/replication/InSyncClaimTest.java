// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.SyncState.Kind;
import dev.cairn.store.rocks.RocksSlotStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica's claim to be in sync: the master's newest word wins, and a restart or a new epoch voids it. */
class InSyncClaimTest {
    @TempDir Path dir;

    @Test void theNewestAnnouncementWinsWhicheverChannelBringsItLast() {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            InSyncClaim claim = new InSyncClaim(slot.replication());
            assertThat(claim.state()).isNull();
            claim.told(new Frame.InSync("s1", 0, 10, false, 1_000));
            claim.told(new Frame.InSync("s1", 0, 12, true, 2_000));
            claim.told(new Frame.InSync("s1", 0, 11, false, 1_500)); // older, on a slower channel: ignored
            assertThat(claim.state().kind()).isEqualTo(Kind.IN_SYNC);
            claim.told(new Frame.InSync("s1", 0, 13, false, 3_000));
            assertThat(claim.state().kind()).isEqualTo(Kind.OUT_OF_SYNC);
            assertThat(claim.state().at()).as("since when, on the master's clock").isEqualTo(3_000);
        }
    }

    @Test void aLostLinkKeepsTheClaimButARestartOrANewEpochVoidsIt() {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            InSyncClaim claim = new InSyncClaim(slot.replication());
            claim.told(new Frame.InSync("s1", 0, 10, true, 1_000));
            claim.linkLost();
            assertThat(claim.state().kind()).isEqualTo(Kind.LINK_LOST);
            assertThat(claim.state().inSync()).isTrue();
            long lost = claim.state().at();

            InSyncClaim restarted = new InSyncClaim(slot.replication());
            assertThat(restarted.state().kind()).as("kept in the slot").isEqualTo(Kind.LINK_LOST);
            restarted.restarted();
            assertThat(restarted.state().kind()).isEqualTo(Kind.OUT_OF_SYNC);
            assertThat(restarted.state().at()).as("out of sync since it last knew it was in").isEqualTo(lost);
            assertThat(restarted.state().why()).contains("restarted at");

            restarted.told(new Frame.InSync("s1", 0, 11, true, 2_000));
            assertThat(restarted.state().kind()).isEqualTo(Kind.IN_SYNC);
            restarted.newEpoch(1);
            assertThat(restarted.state().kind()).isEqualTo(Kind.OUT_OF_SYNC);
            assertThat(restarted.state().why()).contains("a new master (epoch 1)");
            restarted.told(new Frame.InSync("s1", 0, 99, true, 3_000));
            assertThat(restarted.state().kind()).as("the former master's word").isEqualTo(Kind.OUT_OF_SYNC);
            restarted.told(new Frame.InSync("s1", 1, 1, true, 4_000));
            assertThat(restarted.state().kind()).isEqualTo(Kind.IN_SYNC);
            restarted.promoted();
            assertThat(new InSyncClaim(slot.replication()).state()).isNull();
        }
    }
}
