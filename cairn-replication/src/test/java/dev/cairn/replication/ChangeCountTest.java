// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import java.time.Instant;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A replica's lag in changes: a promotion's seq jump (2^32 and more) is one change, not four billion (issue 19). */
class ChangeCountTest {
    private static final long JUMP = (1L << 32) + 1;

    /** A log holding the given seqs of user "u", counting its reads. */
    private static final class Log implements ChangeLog {
        final NavigableSet<Long> seqs = new TreeSet<>();
        final AtomicInteger reads = new AtomicInteger();

        @Override public List<ChangeRecord> read(String user, long fromSeq, int max) {
            reads.incrementAndGet();
            Long s = seqs.ceiling(fromSeq);
            return s == null ? List.of() : List.of(new ChangeRecord(user, s, 0, Instant.EPOCH, List.of()));
        }

        @Override public Batch readChannel(int channel, Position after, int max) { throw new UnsupportedOperationException(); }

        @Override public AutoCloseable listen(Listener listener) { throw new UnsupportedOperationException(); }

        @Override public void prune(String user, long uptoSeq) { throw new UnsupportedOperationException(); }

        @Override public long firstSeq(String user) { return seqs.first(); }
    }

    private static Log log(long... runs) {
        Log l = new Log();
        for (int i = 0; i < runs.length; i += 2) for (long s = runs[i]; s <= runs[i + 1]; s++) l.seqs.add(s);
        return l;
    }

    @Test void aSpanWithoutAJumpCountsItsSeqsWithoutReadingTheLog() {
        Log l = log(1, 100);
        assertThat(new ChangeCount(l).between("u", 40, 100)).isEqualTo(60);
        assertThat(new ChangeCount(l).between("u", 100, 100)).isZero();
        assertThat(l.reads).hasValue(0);
    }

    @Test void aPromotionsJumpCountsAsTheOneRecordThatMarksIt() {
        // Records 1..5, the jump record at 5 + 2^32 + 1, then three more.
        long j = 5 + JUMP;
        Log l = log(1, 5, j, j + 3);
        ChangeCount count = new ChangeCount(l);
        assertThat(count.between("u", 0, j + 3)).isEqualTo(9);
        assertThat(count.between("u", 3, j + 3)).isEqualTo(2 + 4);
        assertThat(count.between("u", 5, j + 3)).isEqualTo(4);
        assertThat(count.between("u", 5, j)).isEqualTo(1);
    }

    @Test void twoJumpsAreTwoChangesAndAJumpFoundIsNotLookedForAgain() {
        long j1 = 10 + JUMP, j2 = j1 + 2 + JUMP + 1000;
        Log l = log(1, 10, j1, j1 + 2, j2, j2);
        ChangeCount count = new ChangeCount(l);
        assertThat(count.between("u", 10, j2)).isEqualTo(3 + 1);
        int afterFirst = l.reads.get();
        assertThat(count.between("u", 10, j2)).isEqualTo(4);
        assertThat(l.reads.get() - afterFirst).as("reads the second time").isLessThanOrEqualTo(3);
        assertThat(count.between("u", 0, j2)).isEqualTo(10 + 3 + 1);
    }
}
