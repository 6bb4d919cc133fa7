// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.QuotaLimits;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.ListenAddress;
import dev.cairn.server.config.Sizes;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Option values checked while the command line is read, so that a wrong one is refused with the
 * option's name ("Invalid value for option '--imap': ...") before anything runs.
 */
final class OptionValues {
    private OptionValues() {}

    /** A listener: HOST:PORT, [IPv6]:PORT, :PORT, or off (the address; null for off). */
    static final class Listen implements ITypeConverter<Listen.Value> {
        record Value(ListenAddress address) {
            boolean off() { return address == null; }
        }

        @Override
        public Value convert(String text) {
            if (text.equalsIgnoreCase("off")) {
                return new Value(null);
            }
            try {
                return new Value(ListenAddress.parse(text));
            } catch (ConfigException e) {
                throw new TypeConversionException(e.getMessage() + " (give HOST:PORT, [IPv6]:PORT, :PORT or off)");
            }
        }
    }

    /** A storage limit: a size like 500M or 2G, or none. */
    static final class StorageLimit implements ITypeConverter<Long> {
        @Override
        public Long convert(String text) {
            if (none(text)) {
                return QuotaLimits.NONE;
            }
            try {
                return Sizes.parseBytes(text);
            } catch (ConfigException e) {
                throw new TypeConversionException(e.getMessage() + ", or none");
            }
        }
    }

    /** A message count limit: a whole number >= 0, or none. */
    static final class CountLimit implements ITypeConverter<Long> {
        @Override
        public Long convert(String text) {
            if (none(text)) {
                return QuotaLimits.NONE;
            }
            try {
                long n = Long.parseLong(text.strip());
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new TypeConversionException("'" + text + "' is not a message count (a whole number >= 0, or none)");
        }
    }

    private static boolean none(String text) {
        return text.equalsIgnoreCase("none") || text.equalsIgnoreCase("unlimited");
    }
}
