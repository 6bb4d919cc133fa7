// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.time.Duration;
import java.util.Locale;

/** Sizes ("64M", "1G", binary multiples) and durations ("30s", "30m", "2h") as operators write them. */
public final class Sizes {
    private Sizes() {}

    /** Octets: a number with an optional K, M, G or T (powers of 1024), an optional trailing B. */
    public static long parseBytes(String text) {
        String s = text.strip().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> { }
            }
        }
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1).strip();
        try {
            long n = Long.parseLong(digits);
            if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
                throw new ConfigException("size '" + text + "' is out of range");
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new ConfigException("'" + text + "' is not a size (like 500M or 2G)");
        }
    }

    /** A duration: a number with ms, s, m, h or d; a bare number is seconds. */
    public static Duration parseDuration(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        String unit = s.endsWith("ms") ? "ms" : s.isEmpty() || Character.isDigit(s.charAt(s.length() - 1)) ? "" : s.substring(s.length() - 1);
        String digits = s.substring(0, s.length() - unit.length());
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new ConfigException("'" + text + "' is not a duration (like 200ms, 30s or 30m)");
        }
        if (n < 0) {
            throw new ConfigException("duration '" + text + "' is negative");
        }
        try {
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "", "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> throw new ConfigException("'" + text + "' is not a duration (like 200ms, 30s or 30m)");
            };
        } catch (ArithmeticException tooLong) {
            throw new ConfigException("duration '" + text + "' is too long");
        }
    }

    /** "1G" for 1073741824; plain octets when not a whole multiple. */
    public static String formatBytes(long bytes) {
        String[] units = {"T", "G", "M", "K"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            if (bytes > 0 && bytes % (1L << shifts[i]) == 0) {
                return (bytes >> shifts[i]) + units[i];
            }
        }
        return Long.toString(bytes);
    }
}
