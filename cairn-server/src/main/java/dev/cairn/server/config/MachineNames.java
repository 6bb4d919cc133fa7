// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.directory.Addresses;
import dev.cairn.directory.LocalDomains;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * This machine's names, for the defaults that depend on them: the local domains of LMTP (what
 * Postfix's {@code $myhostname} defaults to: the kernel's host name) and the name LMTP greets with.
 * No DNS lookup: a node must start the same way on a machine without a resolver.
 */
public final class MachineNames {
    private static volatile Optional<String> hostname;

    private MachineNames() {}

    /** The host name (lower case) when it is a domain name, else empty. */
    public static Optional<String> hostname() {
        Optional<String> h = hostname;
        if (h == null) {
            h = read().map(s -> s.strip().toLowerCase(Locale.ROOT))
                    .filter(s -> !s.isEmpty() && Addresses.problem("postmaster@" + s) == null);
            hostname = h;
        }
        return h;
    }

    private static Optional<String> read() {
        try {
            return Optional.of(Files.readString(Path.of("/proc/sys/kernel/hostname")));
        } catch (IOException | RuntimeException notLinux) {
            try {
                return Optional.of(InetAddress.getLocalHost().getHostName());
            } catch (IOException unresolvable) {
                return Optional.empty();
            }
        }
    }

    /** The default of [lmtp] local_domains: the host name and localhost; bare names allowed. */
    public static LocalDomains localDomains() {
        List<String> domains = new ArrayList<>();
        hostname().ifPresent(domains::add);
        domains.add("localhost");
        return LocalDomains.of(domains, true);
    }
}
