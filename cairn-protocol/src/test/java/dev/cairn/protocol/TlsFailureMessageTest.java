// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** A TLS failure is logged with its real reason, not JSSE's wrapper text (issue 17). */
class TlsFailureMessageTest {
    @Test void anUnexpectedExceptionIsLoggedWithTheInnermostCause() {
        SSLException wrapped = new SSLException("Unexpected exception",
                new IllegalStateException("wrapper", new java.security.cert.CertificateExpiredException("certificate expired on 2026-01-01")));
        assertThat(ConnectionServer.innermostMessage(wrapped)).isEqualTo("certificate expired on 2026-01-01");
    }

    @Test void aPlainFailureKeepsItsOwnMessage() {
        assertThat(ConnectionServer.innermostMessage(new SSLHandshakeException("no cipher suites in common")))
                .isEqualTo("no cipher suites in common");
    }

    @Test void aCauseWithoutMessageIsNamedByItsClass() {
        SSLException wrapped = new SSLException("Unexpected exception", new NullPointerException());
        assertThat(ConnectionServer.innermostMessage(wrapped)).isEqualTo("java.lang.NullPointerException");
    }
}
