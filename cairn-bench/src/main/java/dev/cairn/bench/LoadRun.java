// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs many clients at once (a virtual thread each): a warm-up whose operations are not
 * counted, then the measured part (a duration, or a number of operations), with a progress
 * line once a second. Clients keep their connections across the boundary, so the
 * measurement starts on a server already in its steady state.
 */
public final class LoadRun {

    /** One client of the load; {@link #step} does one operation (or a few that belong together). */
    public interface Client {
        void step() throws IOException;

        /** Drops the connection after an error (the next step reconnects). */
        void drop();

        /** Ends the session politely at the end of the run. */
        void finish();
    }

    public interface ClientFactory {
        Client create(int index, Recorder recorder);
    }

    /**
     * @param rate operations per second of all clients together, spread evenly over them (a steady
     *             load below the maximum); 0 runs every client as fast as it can
     */
    public record Settings(int clients, Duration warmup, Duration duration, long operations, boolean progress,
            List<Long> serverPids, double rate) {
        public Settings {
            if (clients < 1) {
                throw new IllegalArgumentException("at least one client");
            }
            if (rate < 0) {
                throw new IllegalArgumentException("rate must not be negative");
            }
            serverPids = List.copyOf(serverPids);
        }

        public Settings(int clients, Duration warmup, Duration duration, long operations, boolean progress,
                List<Long> serverPids) {
            this(clients, warmup, duration, operations, progress, serverPids, 0);
        }
    }

    private final Settings settings;
    private final PrintStream log;

    public LoadRun(Settings settings, PrintStream log) {
        this.settings = settings;
        this.log = log;
    }

    public Report run(String command, String target, Map<String, String> described, List<String> kinds, Errors errors,
            ClientFactory factory) throws InterruptedException {
        LongAdder live = new LongAdder();
        List<Recorder> recorders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        // Each client's share of the rate: one operation every `pace` nanoseconds (0: no pause).
        long pace = settings.rate() > 0 ? (long) (1e9 * settings.clients() / settings.rate()) : 0;
        for (int i = 0; i < settings.clients(); i++) {
            Recorder recorder = new Recorder(kinds, live);
            recorders.add(recorder);
            Client client = factory.create(i, recorder);
            threads.add(Thread.ofVirtual().name("bench-client-" + i).start(() -> drive(client, stop, errors, pace)));
        }
        long started = System.nanoTime();
        long warmupEnd = started + settings.warmup().toNanos();
        while (System.nanoTime() < warmupEnd) {
            progress("warm-up", started, warmupEnd, -1, live, errors);
            sleepUntil(Math.min(warmupEnd, System.nanoTime() + 1_000_000_000L));
        }
        recorders.forEach(Recorder::startMeasuring);
        long measureStart = System.nanoTime();
        long cpuStart = ProcessCpu.selfNanos();
        long serverStart = ProcessCpu.treeNanos(settings.serverPids());
        long machineStart = ProcessCpu.machineNanos();
        long[] eachStart = settings.serverPids().stream().mapToLong(pid -> ProcessCpu.treeNanos(List.of(pid))).toArray();
        long end = settings.operations() > 0 ? Long.MAX_VALUE : measureStart + settings.duration().toNanos();
        while (System.nanoTime() < end && (settings.operations() <= 0 || live.sum() < settings.operations())) {
            progress("run", measureStart, end, settings.operations(), live, errors);
            long wake = System.nanoTime() + (settings.operations() > 0 ? 50_000_000L : 1_000_000_000L);
            sleepUntil(Math.min(end, wake));
        }
        recorders.forEach(Recorder::stopMeasuring);
        double seconds = (System.nanoTime() - measureStart) / 1e9;
        long cpuEnd = ProcessCpu.selfNanos();
        long serverEnd = ProcessCpu.treeNanos(settings.serverPids());
        long machineEnd = ProcessCpu.machineNanos();
        long[] eachEnd = settings.serverPids().stream().mapToLong(pid -> ProcessCpu.treeNanos(List.of(pid))).toArray();
        stop.set(true);
        if (settings.progress()) {
            log.print(terminal ? "\r" + " ".repeat(100) + "\r" : "");
            log.println("stopping " + settings.clients() + " clients...");
        }
        for (Thread thread : threads) {
            if (!thread.join(Duration.ofSeconds(30))) {
                thread.interrupt();
            }
        }
        double generatorCpu = cpuStart < 0 || cpuEnd < 0 ? -1 : (cpuEnd - cpuStart) / 1e9;
        double serverCpu = serverStart < 0 || serverEnd < 0 ? -1 : (serverEnd - serverStart) / 1e9;
        double machineCpu = machineStart < 0 || machineEnd < 0 ? -1 : (machineEnd - machineStart) / 1e9;
        List<Double> serverCpuEach = new java.util.ArrayList<>();
        for (int i = 0; i < eachStart.length; i++) {
            serverCpuEach.add(eachStart[i] < 0 || eachEnd[i] < 0 ? -1 : (eachEnd[i] - eachStart[i]) / 1e9);
        }
        if (settings.rate() > 0) {
            described = new java.util.LinkedHashMap<>(described);
            described.put("rate", String.format(Locale.ROOT, "%.0f ops/s paced", settings.rate()));
        }
        return Report.of(command, target, described, seconds, kinds, recorders, errors, generatorCpu, serverCpu, serverCpuEach, machineCpu);
    }

    private long lastProgress;

    // On a terminal the line is rewritten every second; into a file or pipe, a new line every ten.
    private final boolean terminal = System.console() != null && System.console().isTerminal();

    private void progress(String phase, long from, long until, long operations, LongAdder live, Errors errors) {
        if (!settings.progress()) {
            return;
        }
        long now = System.nanoTime();
        if (lastProgress != 0 && now - lastProgress < (terminal ? 900_000_000L : 9_900_000_000L)) {
            return;
        }
        double elapsed = (now - from) / 1e9;
        long done = live.sum();
        String of = operations > 0 ? String.format(Locale.ROOT, "%d/%d ops", done, operations)
            : until == Long.MAX_VALUE ? done + " ops"
            : String.format(Locale.ROOT, "%.0f/%.0f s, %d ops", elapsed, (until - from) / 1e9, done);
        String line = String.format(Locale.ROOT, "\r[%s] %s, %.0f ops/s, %d errors", phase, of,
            phase.equals("run") && elapsed > 0 ? done / elapsed : 0.0, errors.total());
        log.print(terminal ? line + " ".repeat(Math.max(0, 60 - line.length())) : line.substring(1) + "\n");
        log.flush();
        lastProgress = now;
    }

    private static void drive(Client client, java.util.concurrent.atomic.AtomicBoolean stop, Errors errors, long pace) {
        // Clients start spread over one interval, so a paced load does not arrive in bursts.
        long next = System.nanoTime() + (pace > 0 ? java.util.concurrent.ThreadLocalRandom.current().nextLong(pace) : 0);
        while (!stop.get()) {
            try {
                if (pace > 0) {
                    long now = System.nanoTime();
                    // A client that fell more than a second behind drops what it missed instead of bursting.
                    next = Math.max(next, now - 1_000_000_000L);
                    if (next > now) {
                        TimeUnit.NANOSECONDS.sleep(next - now);
                    }
                    next += pace;
                }
                client.step();
            } catch (IOException e) {
                if (stop.get()) {
                    break;
                }
                errors.report(e.getClass().getSimpleName().contains("Protocol") ? "protocol" : "connection",
                    String.valueOf(e.getMessage()));
                client.drop();
                try {
                    TimeUnit.MILLISECONDS.sleep(50);
                } catch (InterruptedException interrupted) {
                    break;
                }
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                errors.report("bench-bug", e.toString());
                client.drop();
                try {
                    TimeUnit.MILLISECONDS.sleep(50);
                } catch (InterruptedException interrupted) {
                    break;
                }
            }
        }
        client.finish();
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }
}
