// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The back-end's rule for a front-end's login as cairn:proxy (issue 21), one attack per case. */
class ProxyLoginTest {
    private static final byte[] SECRET = "cluster secret".getBytes(StandardCharsets.UTF_8);
    private static final InetAddress FRONT_END = InetAddress.ofLiteral("10.1.2.3");
    private static final ProxyLogin LOGIN = new ProxyLogin(SECRET, List.of(Network.parse("10.0.0.0/8"), Network.parse("127.0.0.0/8")));
    private static final Authenticator DIRECTORY = new Authenticator() {
        @Override public AuthResult authenticate(String authcid, String password, String authzid, InetAddress remote, boolean secure) {
            throw new AssertionError("a proxy login never checks a user's password");
        }

        @Override public AuthResult proxied(String user) {
            return switch (user) {
                case "alice" -> AuthResult.success("alice");
                case "dora" -> new AuthResult.Failure(AuthResult.Reason.DISABLED, "dora is disabled");
                case "down" -> new AuthResult.Failure(AuthResult.Reason.TEMPORARY_FAILURE, "directory down");
                default -> AuthResult.invalid("unknown " + user);
            };
        }
    };

    @Test void aPlaintextProxyLoginFromOffLoopbackIsRefusedAndOverTlsAccepted() {
        String password = ProxyLogin.password(SECRET, "alice");
        assertThat(LOGIN.refusal(FRONT_END, false, password, "alice")).isEqualTo("not over TLS from off loopback");
        assertThat(LOGIN.refusal(FRONT_END, true, password, "alice")).isNull();
        assertThat(LOGIN.refusal(InetAddress.getLoopbackAddress(), false, password, "alice")).as("loopback crosses no network").isNull();
    }

    @Test void aProxyLoginFromOutsideTheTrustedNetworksIsRefusedEvenWithTheRightPassword() {
        assertThat(LOGIN.refusal(InetAddress.ofLiteral("192.0.2.7"), true, ProxyLogin.password(SECRET, "alice"), "alice"))
                .isEqualTo("untrusted address");
        assertThat(LOGIN.refusal(null, true, ProxyLogin.password(SECRET, "alice"), "alice")).isEqualTo("untrusted address");
    }

    @Test void aProxyPasswordOfAnotherSecretOrAnotherUserIsRefused() {
        byte[] other = "another secret".getBytes(StandardCharsets.UTF_8);
        assertThat(LOGIN.refusal(FRONT_END, true, ProxyLogin.password(other, "alice"), "alice")).isEqualTo("wrong proxy password");
        assertThat(LOGIN.refusal(FRONT_END, true, ProxyLogin.password(SECRET, "bob"), "alice")).isEqualTo("wrong proxy password");
        assertThat(LOGIN.refusal(FRONT_END, true, null, "alice")).isEqualTo("wrong proxy password");
        assertThat(LOGIN.refusal(FRONT_END, true, ProxyLogin.password(SECRET, ""), "")).isEqualTo("no authorization identity");
    }

    @Test void theUserMustExistAndBeEnabledAndEveryRefusalIsTheNormalOne() {
        assertThat(LOGIN.check(DIRECTORY, FRONT_END, true, ProxyLogin.password(SECRET, "alice"), "alice"))
                .isEqualTo(new AuthResult.Success("alice"));
        for (String user : new String[] {"dora", "zed"}) {
            assertThat(LOGIN.check(DIRECTORY, FRONT_END, true, ProxyLogin.password(SECRET, user), user))
                    .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.INVALID_CREDENTIALS));
        }
        assertThat(LOGIN.check(DIRECTORY, FRONT_END, false, ProxyLogin.password(SECRET, "alice"), "alice"))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.INVALID_CREDENTIALS));
        // the directory down is temporary, as for any login
        assertThat(LOGIN.check(DIRECTORY, FRONT_END, true, ProxyLogin.password(SECRET, "down"), "down"))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.TEMPORARY_FAILURE));
    }

    @Test void anAuthenticatorThatCannotTellAcceptsNoProxyLogin() {
        Authenticator passwordsOnly = (authcid, password, authzid, remote, secure) -> AuthResult.success(authcid);
        assertThat(LOGIN.check(passwordsOnly, FRONT_END, true, ProxyLogin.password(SECRET, "alice"), "alice"))
                .isInstanceOf(AuthResult.Failure.class);
    }
}
