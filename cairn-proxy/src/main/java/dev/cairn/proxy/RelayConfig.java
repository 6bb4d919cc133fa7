// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How a front-end reaches its back-ends.
 *
 * @param secret         the cluster secret: the proxy password of each user is derived from it
 *                       ({@link dev.cairn.protocol.auth.ProxyLogin#password})
 * @param backendTls     what verifies the back-ends' certificates for STARTTLS to them (the
 *                       cluster's CA); null: only back-ends on loopback are reached, in clear
 * @param connectTimeout to open a connection to a back-end and have its greeting
 * @param loginWait      how long a login waits for its store's next master during a failover
 */
public record RelayConfig(byte[] secret, SSLContext backendTls, Duration connectTimeout, Duration loginWait) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_LOGIN_WAIT = Duration.ofSeconds(15);

    public RelayConfig {
        Objects.requireNonNull(secret);
        Objects.requireNonNull(connectTimeout);
        Objects.requireNonNull(loginWait);
    }
}
