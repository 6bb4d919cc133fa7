// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.DrainPlanner;
import dev.cairn.cluster.SlotRef;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** `cairn node drain`'s two ways of showing itself, rendered at instants of a clock the test moves. */
class DrainProgressTest {
    private final AtomicLong clock = new AtomicLong(5_000_000_000L);
    private final StringWriter text = new StringWriter();

    private DrainProgress progress(DrainProgress.Form form) { return new DrainProgress(new PrintWriter(text), form, clock::get); }

    private void after(long ms) { clock.addAndGet(ms * 1_000_000); }

    @Test void offATerminalEachStoreIsOneLineWithItsSwitchTimeAndTheSummaryGivesTheTimeInAllAndP50AndMax() {
        DrainProgress p = progress(DrainProgress.Form.LINES);
        p.planned(3);
        p.started("d0", "n1/s0", "n2/s0");
        after(400);
        p.tick(); // nothing to redraw off a terminal
        p.switched("d0", "n1/s0", "n2/s0", 400, "write pause 12.0 ms (catch-up 2.0 ms, takeover 10.0 ms)");
        p.started("d1", "n1/s1", "n2/s1");
        after(900);
        p.failed("d1", "n2/s1", 900, "its record kept changing");
        p.started("d2", "n1/s2", "n2/s2");
        after(200);
        p.switched("d2", "n1/s2", "n2/s2", 200, "write pause 3.0 ms (catch-up 1.0 ms, takeover 2.0 ms)");
        p.finish("n1", List.of(new DrainPlanner.Stuck("d3", SlotRef.parse("n1/s3"), "n2/s3 is not in sync")), 2, false);

        assertThat(text.toString()).isEqualTo("""
                [1/3] store d0: n1/s0 -> n2/s0 in 400 ms (write pause 12.0 ms (catch-up 2.0 ms, takeover 10.0 ms))
                store d1: not switched to n2/s1 after 900 ms: its record kept changing
                [2/3] store d2: n1/s2 -> n2/s2 in 200 ms (write pause 3.0 ms (catch-up 1.0 ms, takeover 2.0 ms))
                2 store(s) switched off n1 in 1.5 s (per store: p50 200 ms, max 400 ms)
                store d3 stays on n1/s3: n2/s3 is not in sync
                2 store(s) still mastered on n1 (run `cairn node drain n1` again to retry)
                """);
    }

    @Test void onATerminalOneLineIsRedrawnInPlaceWithTheStoreUnderWayAndTheSummaryFollowsIt() {
        DrainProgress p = progress(DrainProgress.Form.BAR);
        p.planned(4);
        assertThat(p.bar(clock.get())).isEqualTo("[....................] 0/4 stores 0.0 s");
        p.started("d0", "n1/s0", "n2/s0");
        after(1_200);
        p.tick();
        assertThat(screen()).containsExactly("[....................] 0/4 stores 1.2 s  d0 n1/s0 -> n2/s0 1.2 s");
        p.switched("d0", "n1/s0", "n2/s0", 1_200, "write pause 9.0 ms");
        // The shorter line blanks out what is left of the longer one.
        assertThat(screen()).containsExactly("[#####...............] 1/4 stores 1.2 s");
        assertThat(text.toString()).doesNotContain("\n");

        p.started("d1", "n1/s1", "n2/s1");
        after(300);
        p.failed("d1", "n2/s1", 300, "its record kept changing");
        assertThat(screen()).containsExactly("store d1: not switched to n2/s1 after 300 ms: its record kept changing",
                "[#####...............] 1/4 stores 1.5 s");

        p.finish("n1", List.of(), 3, true);
        assertThat(screen()).containsExactly("store d1: not switched to n2/s1 after 300 ms: its record kept changing",
                "[#####...............] 1/4 stores 1.5 s",
                "1 store(s) switched off n1 in 1.5 s (per store: p50 1200 ms, max 1200 ms)",
                "interrupted: 3 store(s) still mastered on n1; `cairn node drain n1` goes on with them");
    }

    @Test void theBarLineNeverWrapsOnAnEightyColumnTerminal() {
        DrainProgress p = progress(DrainProgress.Form.BAR);
        p.planned(20);
        String name = "d".repeat(40);
        p.started(name, "node-one/s17", "node-two/s17");
        String line = p.bar(clock.get());
        assertThat(line).hasSize(DrainProgress.WIDTH).startsWith("[....................] 0/20 stores 0.0 s  " + name.substring(0, 10)).endsWith("~");
        p.switched(name, "node-one/s17", "node-two/s17", 5, "");
        assertThat(p.bar(clock.get())).isEqualTo("[#...................] 1/20 stores 0.0 s");
    }

    /** What a terminal shows of the output: a carriage return goes back to the line's start, what follows overwrites. */
    private List<String> screen() {
        List<StringBuilder> lines = new ArrayList<>(List.of(new StringBuilder()));
        int col = 0;
        for (char ch : text.toString().toCharArray()) {
            StringBuilder line = lines.getLast();
            if (ch == '\r') {
                col = 0;
            } else if (ch == '\n') {
                lines.add(new StringBuilder());
                col = 0;
            } else {
                if (col < line.length()) line.setCharAt(col, ch);
                else line.append(ch);
                col++;
            }
        }
        if (lines.getLast().isEmpty()) lines.removeLast();
        return lines.stream().map(l -> l.toString().stripTrailing()).toList();
    }
}
