// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.NewUser;
import dev.cairn.directory.PasswordHasher;
import dev.cairn.directory.SqliteDirectory;
import dev.cairn.protocol.auth.AuthResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class DirectoryAuthenticatorTest {
    @TempDir Path dir;
    SqliteDirectory directory;
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    DirectoryAuthenticator auth;
    InetAddress client = InetAddress.getLoopbackAddress();

    @BeforeEach
    void setUp() {
        directory = SqliteDirectory.open(dir.resolve("d.db"), Optional.of("example.org"),
                new PasswordHasher(new PasswordHasher.Parameters(64, 1, 1), 2));
        directory.addUser(NewUser.of("alice", "secret".toCharArray()));
        directory.addUser(NewUser.of("bob", "other".toCharArray()));
        auth = new DirectoryAuthenticator(directory, meters);
    }

    @AfterEach
    void tearDown() {
        directory.close();
    }

    private double count(String result) {
        return meters.get("cairn.directory.logins").tag("result", result).counter().count();
    }

    @Test
    void successByNameOrAddress() {
        assertThat(auth.authenticate("Alice", "secret", null, client, true)).isEqualTo(AuthResult.success("alice"));
        assertThat(auth.authenticate("alice@example.org", "secret", "", client, false)).isEqualTo(AuthResult.success("alice"));
        assertThat(auth.authenticate("alice", "secret", "ALICE", client, true)).isEqualTo(AuthResult.success("alice"));
        assertThat(auth.authenticate("alice", "secret", "alice@example.org", client, true)).isEqualTo(AuthResult.success("alice"));
        assertThat(count("success")).isEqualTo(4);
    }

    @Test
    void failures() {
        assertThat(auth.authenticate("alice", "Tr0ub4dor", null, client, true))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> {
                    assertThat(f.reason()).isEqualTo(AuthResult.Reason.INVALID_CREDENTIALS);
                    assertThat(f.detail()).doesNotContain("Tr0ub4dor");
                });
        assertThat(auth.authenticate("nobody", "secret", null, client, true))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.INVALID_CREDENTIALS));
        assertThat(auth.authenticate("alice", "secret", "bob", client, true))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.AUTHORIZATION_DENIED));
        assertThat(auth.authenticate("alice", "", null, client, true))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.INVALID_CREDENTIALS));
        assertThat(auth.authenticate("alice\r\n", "secret", null, client, true))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.detail()).doesNotContain("\r"));
        directory.setDisabled("alice", true);
        assertThat(auth.authenticate("alice", "secret", null, client, true))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.DISABLED));
        assertThat(auth.authenticate("alice", "wrong", null, client, true))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.INVALID_CREDENTIALS));
        assertThat(count("invalid_credentials")).isEqualTo(5);
        assertThat(count("disabled")).isEqualTo(1);
        assertThat(count("authorization_denied")).isEqualTo(1);
    }

    @Test
    void closedDirectoryIsATemporaryFailure() {
        directory.close();
        assertThat(auth.authenticate("alice", "secret", null, client, true))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.TEMPORARY_FAILURE));
        assertThat(count("unavailable")).isEqualTo(1);
    }

    /** A front-end's login for a user (issue 21): no password, but the account must exist and be enabled. */
    @Test
    void aProxiedLoginNeedsAnExistingEnabledAccount() {
        assertThat(auth.proxied("alice")).isEqualTo(AuthResult.success("alice"));
        assertThat(auth.proxied("nobody"))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.INVALID_CREDENTIALS));
        assertThat(auth.proxied("not a name\r\n"))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.detail()).doesNotContain("\r"));
        directory.setDisabled("alice", true);
        assertThat(auth.proxied("alice"))
                .isInstanceOfSatisfying(AuthResult.Failure.class, f -> assertThat(f.reason()).isEqualTo(AuthResult.Reason.DISABLED));
        // the node's counting wrapper passes proxied logins on (a lambda would refuse them all) and counts them
        SimpleMeterRegistry perProtocol = new SimpleMeterRegistry();
        directory.setDisabled("alice", false);
        assertThat(NodeMetrics.counting(perProtocol, "imap", auth).proxied("alice")).isEqualTo(AuthResult.success("alice"));
        assertThat(perProtocol.get("cairn.auth.attempts").tag("protocol", "imap").tag("result", "success").counter().count()).isEqualTo(1);
    }
}
