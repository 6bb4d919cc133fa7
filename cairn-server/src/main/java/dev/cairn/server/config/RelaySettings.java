// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.protocol.tls.TlsContexts;
import dev.cairn.proxy.RelayConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;
import org.tomlj.TomlTable;

/**
 * The [proxy] section: how this process reaches the back-ends it relays clients to (issue 21). On a
 * node of a cluster (unified mode: a login for a user whose store another node masters is relayed
 * there) and on {@code cairn proxy} alike.
 *
 * <pre>
 * [proxy]
 * connect_timeout = "5s"         # to open a connection to a back-end and have its greeting
 * login_wait = "15s"             # how long a login waits for its store's next master during a failover
 * backend_ca = "tls/ca.pem"      # the back-ends' CA (PEM), for STARTTLS to them; default: on a node,
 *                                # [replication] trust when tls = true; none: back-ends on loopback only, in clear
 * # cairn proxy only:
 * name = "proxy-1"               # the front-end's name in the cluster (frontends/NAME)
 * secret_file = "cluster.secret" # the cluster secret, as [replication] of the nodes has it (or secret = "...")
 * </pre>
 *
 * @param backendCa null: not set
 */
public record RelaySettings(Duration connectTimeout, Duration loginWait, Path backendCa) {
    public static final RelaySettings DEFAULT = new RelaySettings(RelayConfig.DEFAULT_CONNECT_TIMEOUT, RelayConfig.DEFAULT_LOGIN_WAIT, null);
    /** A node's keys ({@code auth_http*}: read by {@link AuthHttpSettings}); {@code cairn proxy} takes {@link #PROXY_KEYS} too. */
    static final Set<String> KEYS = Set.of("connect_timeout", "login_wait", "backend_ca", "auth_http", "auth_http_key_file");
    static final Set<String> PROXY_KEYS = Set.of("name", "secret", "secret_file");
    static final Duration MAX_WAIT = Duration.ofMinutes(2);

    /** The relay's config: {@code secret} the cluster's; the back-ends' CA is {@code backend_ca}, else {@code clusterTrust} (may be null). */
    public RelayConfig relayConfig(byte[] secret, Path clusterTrust) {
        Path ca = backendCa != null ? backendCa : clusterTrust;
        SSLContext tls = null;
        if (ca != null) {
            if (!Files.isRegularFile(ca)) throw new ConfigException("proxy.backend_ca: no such file: " + ca);
            try {
                List<X509Certificate> trusted = TlsContexts.readCertificates(ca);
                if (trusted.isEmpty()) throw new ConfigException("proxy.backend_ca: no PEM certificate in " + ca);
                tls = TlsContexts.clientTrusting(trusted);
            } catch (java.io.IOException | java.security.GeneralSecurityException e) {
                throw new ConfigException("proxy.backend_ca: cannot read " + ca + ": " + e.getMessage());
            }
        }
        return new RelayConfig(secret, tls, connectTimeout, loginWait);
    }

    /** The section; {@code proxyKeys}: the keys only {@code cairn proxy} has are allowed (and read by its loader). */
    static RelaySettings parse(TomlTable t, String source, Path data, boolean proxyKeys) {
        Set<String> allowed = new TreeSet<>(KEYS);
        if (proxyKeys) allowed.addAll(PROXY_KEYS);
        for (String k : new TreeSet<>(t.keySet())) {
            if (!allowed.contains(k)) {
                throw new ConfigException(source + ": proxy." + k + ": unknown key (known here: " + String.join(", ", allowed) + ")"
                        + (PROXY_KEYS.contains(k) ? "; " + k + " is for `cairn proxy` (a node has its name and secret in [replication])" : ""));
            }
        }
        Duration connect = duration(t, source, "connect_timeout", RelayConfig.DEFAULT_CONNECT_TIMEOUT);
        Duration wait = duration(t, source, "login_wait", RelayConfig.DEFAULT_LOGIN_WAIT);
        if (connect.isZero() || connect.compareTo(MAX_WAIT) > 0) throw new ConfigException(source + ": proxy.connect_timeout: must be above 0 and at most 2m");
        if (wait.compareTo(MAX_WAIT) > 0) throw new ConfigException(source + ": proxy.login_wait: must be at most 2m");
        Path ca = null;
        if (t.contains("backend_ca")) {
            if (!(t.get(List.of("backend_ca")) instanceof String s) || s.isBlank()) throw new ConfigException(source + ": proxy.backend_ca: must be a file name");
            ca = data.resolve(s);
        }
        return new RelaySettings(connect, wait, ca);
    }

    private static Duration duration(TomlTable t, String source, String key, Duration def) {
        Object v = t.get(List.of(key));
        if (v == null) return def;
        try {
            return switch (v) {
                case Long l when l >= 0 -> Duration.ofSeconds(l);
                case String s -> Sizes.parseDuration(s);
                default -> throw new ConfigException("must be a duration (seconds, or a string like \"5s\")");
            };
        } catch (ConfigException e) {
            throw e.getMessage().startsWith(source) ? e : new ConfigException(source + ": proxy." + key + ": " + e.getMessage());
        }
    }
}
