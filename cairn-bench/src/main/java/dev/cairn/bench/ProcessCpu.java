// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time (user + system) of a server's process tree, read from /proc (Linux). For a
 * server that forks per connection (Dovecot as shipped) the tree counts its live processes
 * and, through the root's cutime/cstime, every child that has exited and been reaped, so
 * the total only grows while processes come and go.
 */
public final class ProcessCpu {

    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux, fixed by the kernel ABI

    private ProcessCpu() {}

    public static boolean available() {
        return Files.isRegularFile(Path.of("/proc/self/stat"));
    }

    /** Total CPU nanoseconds of the given processes and all their descendants; -1 if unreadable. */
    public static long treeNanos(List<Long> roots) {
        if (roots.isEmpty() || !available()) {
            return -1;
        }
        Map<Long, long[]> stats = new HashMap<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path dir : proc) {
                long[] stat = stat(dir.resolve("stat"));
                if (stat != null) {
                    stats.put(Long.parseLong(dir.getFileName().toString()), stat);
                }
            }
        } catch (IOException e) {
            return -1;
        }
        long ticks = 0;
        for (long root : roots) {
            long[] rootStat = stats.get(root);
            if (rootStat == null) {
                return -1;
            }
            ticks += rootStat[3] + rootStat[4]; // reaped children of the root
            List<Long> pending = new ArrayList<>(List.of(root));
            while (!pending.isEmpty()) {
                long pid = pending.removeLast();
                long[] stat = stats.get(pid);
                ticks += stat[1] + stat[2];
                stats.forEach((child, childStat) -> {
                    if (childStat[0] == pid) {
                        pending.add(child);
                    }
                });
            }
        }
        return ticks * 1_000_000_000L / TICKS_PER_SECOND;
    }

    /**
     * CPU nanoseconds every core of the machine spent busy (user, nice, system, irq, softirq and
     * steal, from /proc/stat's first line; proc(5)); -1 if unreadable. On a machine shared by the
     * server, its peers and the load generator, what one operation costs all of them.
     */
    public static long machineNanos() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).getFirst();
            String[] f = first.trim().split("\\s+");
            if (!f[0].equals("cpu")) return -1;
            long ticks = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) ticks += Long.parseLong(f[i]); // idle (4) and iowait (5) left out
            return ticks * 1_000_000_000L / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {ppid, utime, stime, cutime, cstime} from /proc/pid/stat (proc(5)); null if it vanished. */
    private static long[] stat(Path file) {
        String line;
        try {
            line = Files.readString(file);
        } catch (IOException e) {
            return null;
        }
        // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
        String[] fields = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        // fields[0] is state (field 3): ppid is field 4, utime..cstime are fields 14..17.
        return new long[] {Long.parseLong(fields[1]), Long.parseLong(fields[11]), Long.parseLong(fields[12]),
            Long.parseLong(fields[13]), Long.parseLong(fields[14])};
    }

    /** CPU nanoseconds this JVM (the load generator) has used. */
    public static long selfNanos() {
        var bean = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (bean instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
