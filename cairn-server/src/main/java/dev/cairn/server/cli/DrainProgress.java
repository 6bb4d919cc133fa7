// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.cluster.DrainPlanner;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * What {@code cairn node drain} shows while it runs. On a terminal ({@link Form#BAR}) one line
 * redrawn in place: a bar, the stores switched of those planned, the time in all, the store under
 * way and for how long. Elsewhere ({@link Form#LINES}: a pipe, a log, a test) one line per store
 * switched, with its switch time. In both forms the lines that must stay (a store not switched, a
 * record refused) and, at the end, the summary: the time in all, per store p50 and max, and the
 * stores left. The clock is given, so that a test renders both forms at chosen instants.
 */
final class DrainProgress {
    /** How the drain shows: {@link #BAR} on a terminal, {@link #LINES} elsewhere. */
    enum Form { BAR, LINES }

    /** The bar line never wraps on an 80-column terminal (a wrapped line is not redrawn in place). */
    static final int WIDTH = 79;
    private static final int CELLS = 20;

    private final PrintWriter out;
    private final Form form;
    private final LongSupplier nanos;
    private final long start;
    private final List<Long> times = new ArrayList<>();
    private int planned;
    private String underWay; // "d7 n1/s7 -> n2/s7"; null between stores
    private long underWaySince;
    private int drawn; // the length of the bar line on screen; 0: none

    DrainProgress(PrintWriter out, Form form, LongSupplier nanos) {
        this.out = out;
        this.form = form;
        this.nanos = nanos;
        this.start = nanos.getAsLong();
    }

    /**
     * {@link Form#BAR} when standard output is a terminal. Since JDK 22 {@link System#console()}
     * answers also when the output is redirected; {@code isTerminal} tells the two apart.
     */
    static Form detect() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal() ? Form.BAR : Form.LINES;
    }

    Form form() { return form; }

    synchronized int switched() { return times.size(); }

    /** A line that stays (the bar, if any, is drawn again below it). */
    synchronized void line(String text) {
        clear();
        out.println(text);
        if (form == Form.BAR && planned > 0) draw();
        out.flush();
    }

    /** The stores switched so far and those this pass plans: the bar's whole. */
    synchronized void planned(int storesInAll) {
        planned = storesInAll;
        redraw();
    }

    synchronized void started(String store, Object from, Object to) {
        underWay = store + " " + from + " -> " + to;
        underWaySince = nanos.getAsLong();
        redraw();
    }

    /** A store switched in {@code ms} (the command's view); {@code pause}: how long its writes waited (the node's view). */
    synchronized void switched(String store, Object from, Object to, long ms, String pause) {
        times.add(ms);
        underWay = null;
        if (form == Form.LINES) {
            out.printf(Locale.ROOT, "[%d/%d] store %s: %s -> %s in %d ms (%s)%n", times.size(), planned, store, from, to, ms, pause);
            out.flush();
        } else {
            redraw();
        }
    }

    synchronized void failed(String store, Object to, long ms, String why) {
        underWay = null;
        line(String.format(Locale.ROOT, "store %s: not switched to %s after %d ms: %s", store, to, ms, why));
    }

    /** On a terminal, the line drawn again with the time now (the command calls it a few times a second). */
    synchronized void tick() { redraw(); }

    /** The bar line at {@code now} (nanoseconds of the clock given). */
    synchronized String bar(long now) {
        int done = times.size();
        int filled = planned == 0 ? 0 : Math.min(CELLS, done * CELLS / planned);
        StringBuilder b = new StringBuilder().append('[').append("#".repeat(filled)).append(".".repeat(CELLS - filled)).append("] ")
                .append(done).append('/').append(planned).append(" stores ").append(seconds(now - start));
        if (underWay != null) b.append("  ").append(underWay).append(' ').append(seconds(now - underWaySince));
        return b.length() <= WIDTH ? b.toString() : b.substring(0, WIDTH - 1) + "~";
    }

    /**
     * The summary: the stores switched, the time in all and per store; each store that stays, and
     * why; what is left and how to go on.
     */
    synchronized void finish(String node, List<DrainPlanner.Stuck> stuck, int left, boolean interrupted) {
        if (drawn > 0) {
            draw(); // the last state stays on screen
            out.println();
            drawn = 0;
        }
        long total = (nanos.getAsLong() - start) / 1_000_000;
        out.printf(Locale.ROOT, "%d store(s) switched off %s in %.1f s%s%n", times.size(), node, total / 1000.0, percentiles());
        for (DrainPlanner.Stuck s : stuck) out.println("store " + s.store() + " stays on " + s.master() + ": " + s.why());
        if (interrupted && left > 0) {
            out.println("interrupted: " + left + " store(s) still mastered on " + node + "; `cairn node drain " + node + "` goes on with them");
        } else if (left > 0) {
            out.println(left + " store(s) still mastered on " + node + " (run `cairn node drain " + node + "` again to retry)");
        } else {
            out.println("node " + node + " masters no store");
        }
        out.flush();
    }

    private String percentiles() {
        if (times.isEmpty()) return "";
        List<Long> sorted = new ArrayList<>(times);
        Collections.sort(sorted);
        return String.format(Locale.ROOT, " (per store: p50 %d ms, max %d ms)", sorted.get((sorted.size() - 1) / 2), sorted.getLast());
    }

    private void redraw() {
        if (form != Form.BAR) return;
        draw();
        out.flush();
    }

    /** Carriage return, the line, and blanks over what is left of a longer line drawn before. */
    private void draw() {
        String line = bar(nanos.getAsLong());
        out.print("\r" + line + " ".repeat(Math.max(0, drawn - line.length())));
        drawn = line.length();
    }

    private void clear() {
        if (drawn == 0) return;
        out.print("\r" + " ".repeat(drawn) + "\r");
        drawn = 0;
    }

    private static String seconds(long nanos) { return String.format(Locale.ROOT, "%.1f s", nanos / 1e9); }
}
