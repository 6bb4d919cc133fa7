// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The name resolver of this module's test JVMs (META-INF/services): the JDK's own, except while
 * {@link #offline} is set, when every lookup fails as if the name did not exist. Fuzzing the
 * config loader sets it, so that host names it invents ("[replication.peers]") never reach DNS;
 * tests read {@link #asked} to show that a parser looks nothing up.
 */
public final class OfflineResolverProvider extends InetAddressResolverProvider {
    static volatile boolean offline;
    /** The names asked for while offline. */
    static final Set<String> asked = ConcurrentHashMap.newKeySet();

    @Override public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                if (offline) {
                    asked.add(host);
                    throw new UnknownHostException(host + ": no name lookups while fuzzing");
                }
                return builtin.lookupByName(host, policy);
            }

            @Override public String lookupByAddress(byte[] address) throws UnknownHostException {
                if (offline) throw new UnknownHostException("no address lookups while fuzzing");
                return builtin.lookupByAddress(address);
            }
        };
    }

    @Override public String name() { return "cairn-test-offline"; }
}
