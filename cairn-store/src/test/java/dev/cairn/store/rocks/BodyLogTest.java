// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The segment files themselves: appending, rolling, forcing, reopening and retiring. */
class BodyLogTest {
    @TempDir Path dir;

    private long files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static byte[] bytes(int n, int fill) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    @Test void appendsRollAtTheSegmentSizeAndReadBack() throws Exception {
        try (BodyLog log = new BodyLog(dir, 1000)) {
            BodyLog.Location a = log.append(bytes(600, 1));
            BodyLog.Location b = log.append(bytes(600, 2)); // would pass 1000: a new segment
            BodyLog.Location c = log.append(bytes(5000, 3)); // bigger than a segment: one of its own
            assertThat(a.segment()).isEqualTo(1);
            assertThat(b.segment()).isEqualTo(2);
            assertThat(b.offset()).isZero();
            assertThat(c.segment()).isEqualTo(3);
            assertThat(log.read(a)).isEqualTo(bytes(600, 1));
            assertThat(log.read(b)).isEqualTo(bytes(600, 2));
            assertThat(log.read(c)).isEqualTo(bytes(5000, 3));
            assertThat(log.space()).containsExactly(6200, 0);
            log.deleted(b);
            assertThat(log.space()).containsExactly(6200, 600);
            assertThatThrownBy(() -> log.read(new BodyLog.Location(1, 500, 600))).isInstanceOf(IOException.class);
        }
    }

    @Test void forceClearsWhatWasWrittenAndAReopenedLogStartsANewSegment() throws Exception {
        BodyLog.Location a;
        try (BodyLog log = new BodyLog(dir, 1 << 20)) {
            a = log.append(bytes(100, 7));
            assertThat(log.segment(a.segment()).dirty).isTrue();
            log.force();
            assertThat(log.segment(a.segment()).dirty).isFalse();
        }
        try (BodyLog log = new BodyLog(dir, 1 << 20)) {
            assertThat(log.read(a)).isEqualTo(bytes(100, 7));
            BodyLog.Location b = log.append(bytes(10, 8));
            assertThat(b.segment()).as("no appending behind a possibly torn tail").isEqualTo(a.segment() + 1);
            assertThat(log.sealed()).extracting(s -> s.number).containsExactly(a.segment());
        }
    }

    @Test void aRetiredSegmentStaysUntilItsLastReaderLetsGo() throws Exception {
        try (BodyLog log = new BodyLog(dir, 100)) {
            BodyLog.Location a = log.append(bytes(100, 1));
            log.append(bytes(100, 2)); // a is sealed now
            BodyLog.Segment held = log.acquire(a.segment());
            log.retire(log.segment(a.segment()));
            assertThat(log.acquire(a.segment())).as("a retired segment takes no new reader").isNull();
            assertThat(log.read(a)).as("a reader must look the body up again").isNull();
            assertThat(files()).isEqualTo(2);
            assertThat(held.read(a.offset(), a.length())).isEqualTo(bytes(100, 1));
            log.release(held);
            assertThat(files()).isEqualTo(1);
        }
    }

    @Test void pendingBodiesKeepTheirSegmentFromReclaimingUntilTheCommitEnds() throws Exception {
        try (BodyLog log = new BodyLog(dir, 1 << 20)) {
            WriteOps ops = new WriteOps();
            BodyLog.Location a = log.append(bytes(10, 1));
            ops.appended(a);
            assertThat(log.segment(a.segment()).pending.get()).isEqualTo(1);
            ops.commitEnded(log);
            ops.commitEnded(log); // once only
            assertThat(log.segment(a.segment()).pending.get()).isZero();
        }
    }
}
