// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.testing.FakeClock;
import dev.cairn.protocol.tls.TlsConfig;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-only login of `cairn replica verify` ({@link VerifyAccess}), attacked: each test is
 * named after what an attacker (or a buggy tool) tries, and shows it is refused.
 */
class VerifyLoginIT {
    private static final byte[] SECRET = "verify test cluster secret".getBytes(StandardCharsets.UTF_8);

    @TempDir Path dir;
    private SlotStore store;
    private ImapServer server;
    private final List<Duration> throttled = new CopyOnWriteArrayList<>();
    private AuthThrottle throttle;

    /** The failure counted: the client address and the verification identity each hold one. */
    private void failureCounted() {
        assertThat(throttle.size()).isEqualTo(2);
    }

    private void start(List<dev.cairn.protocol.auth.Network> trusted) throws Exception {
        store = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot")).withSync(false));
        InetAddress lo = InetAddress.getLoopbackAddress();
        ImapConfig config = new ImapConfig(new InetSocketAddress(lo, 0), null,
                TlsConfig.selfSigned(dir.resolve("tls")).serverContext(), false, ImapConfig.Limits.DEFAULT,
                AuthThrottle.Config.DEFAULT, dir.resolve("spool")).withVerifyAccess(trusted == null ? null : new VerifyAccess(SECRET, trusted));
        FakeClock clock = new FakeClock();
        throttle = new AuthThrottle(new AuthThrottle.Config(Duration.ofSeconds(2), Duration.ofSeconds(15),
                Duration.ofMinutes(5), 1000), clock, clock.sleeper(throttled));
        server = new ImapServer(config, store, (user, password, authzid, remote, secure) ->
                password.equals("pw-" + user) && (authzid == null || authzid.equals(user))
                        ? AuthResult.success(user) : AuthResult.invalid("wrong password"), throttle);
        server.start();
    }

    @AfterEach void stop() {
        if (server != null) server.close();
        if (store != null) store.close();
    }

    private int port() { return server.address().getPort(); }

    private static String plain(String authzid, String authcid, String password) {
        return Base64.getEncoder().encodeToString((authzid + "\0" + authcid + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String verifyLogin(String user) {
        return plain(user, VerifyAccess.IDENTITY, VerifyAccess.password(SECRET, user));
    }

    /** alice with two messages in INBOX, one \Seen, and a folder; then the slot becomes a replica (fenced). */
    private void aliceOnAReplica() throws Exception {
        Conversation.play(port(), """
                C: a LOGIN alice pw-alice
                S~ a OK .*
                C: b APPEND INBOX {21+}
                C: Subject: one<CRLF><CRLF>body
                S~ b OK .*
                C: c APPEND INBOX (\\Seen) {21+}
                C: Subject: two<CRLF><CRLF>body
                S~ c OK .*
                C: d CREATE Projects
                S~ d OK .*CREATE completed
                C: e LOGOUT
                S* e OK .*
                """);
        store.replication().fence("store s1 is a replica here; its master is n1");
    }

    @Test void verificationLoginOnAReplicaSeesTheMailboxes() throws Exception {
        start(VerifyAccess.LOOPBACK);
        aliceOnAReplica();
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S~ a OK \\[CAPABILITY .*\\] Logged in read-only for verification
                C: b LIST "" "*"
                S* \\* LIST \\(\\\\HasNoChildren\\) "/" "Projects"
                S* b OK LIST completed
                C: c STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)
                S~ \\* STATUS "INBOX" \\(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \\d+ HIGHESTMODSEQ \\d+\\)
                S: c OK STATUS completed
                """.formatted(verifyLogin("alice")));
        assertThat(throttled).isEmpty();
    }

    @Test void verificationLoginWithAWrongSecretIsRefusedAndThrottled() throws Exception {
        start(VerifyAccess.LOOPBACK);
        aliceOnAReplica();
        String forged = plain("alice", VerifyAccess.IDENTITY,
                VerifyAccess.password("another cluster's secret".getBytes(StandardCharsets.UTF_8), "alice"));
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S: a NO [AUTHENTICATIONFAILED] Authentication failed
                C: b AUTHENTICATE PLAIN %s
                S: b NO [AUTHENTICATIONFAILED] Authentication failed
                C: c LIST "" "*"
                S: c BAD Log in first
                """.formatted(forged, plain("alice", VerifyAccess.IDENTITY, "0".repeat(64))));
        assertThat(throttled).as("the second guess waited").containsExactly(Duration.ofSeconds(2));
    }

    @Test void verificationPasswordOfOneUserDoesNotOpenAnother() throws Exception {
        start(VerifyAccess.LOOPBACK);
        aliceOnAReplica();
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S: a NO [AUTHENTICATIONFAILED] Authentication failed
                """.formatted(plain("alice", VerifyAccess.IDENTITY, VerifyAccess.password(SECRET, "bob"))));
        failureCounted();
    }

    @Test void verificationLoginWithoutAnAuthorizationIdentityIsRefused() throws Exception {
        start(VerifyAccess.LOOPBACK);
        aliceOnAReplica();
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S: a NO [AUTHENTICATIONFAILED] Authentication failed
                C: b LOGIN %s %s
                S: b NO [AUTHENTICATIONFAILED] Authentication failed
                """.formatted(plain("", VerifyAccess.IDENTITY, VerifyAccess.password(SECRET, "")),
                VerifyAccess.IDENTITY, VerifyAccess.password(SECRET, "alice")));
        assertThat(throttled).as("the second guess waited").containsExactly(Duration.ofSeconds(2));
    }

    @Test void verificationLoginFromAnUntrustedAddressIsRefusedEvenWithTheRightPassword() throws Exception {
        start(List.of(dev.cairn.protocol.auth.Network.parse("192.0.2.0/24"), dev.cairn.protocol.auth.Network.parse("2001:db8::/32")));
        aliceOnAReplica();
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S: a NO [AUTHENTICATIONFAILED] Authentication failed
                """.formatted(verifyLogin("alice")));
        failureCounted();
    }

    @Test void verificationLoginIsRefusedWhereNoClusterSecretIsConfigured() throws Exception {
        start(null);
        aliceOnAReplica();
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S: a NO [AUTHENTICATIONFAILED] Authentication failed
                """.formatted(verifyLogin("alice")));
    }

    @Test void verificationLoginForAnUnknownUserCreatesNothing() throws Exception {
        start(VerifyAccess.LOOPBACK);
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S: a NO [NONEXISTENT] No such user in this slot
                C: b LIST "" "*"
                S: b BAD Log in first
                """.formatted(verifyLogin("mallory")));
        assertThat(store.hasUser("mallory")).isFalse();
    }

    /** Every command that changes something answers NO [UNAVAILABLE]; SELECT is EXAMINE; FETCH sets no \Seen. */
    @Test void writesThroughAVerificationLoginOnAReplicaAreRefused() throws Exception {
        start(VerifyAccess.LOOPBACK);
        aliceOnAReplica();
        String ro = "NO \\[UNAVAILABLE\\] This login is read-only \\(replica verification\\)";
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S~ a OK .*
                C: b CREATE Evil
                S~ b %s
                C: c DELETE Projects
                S~ c %s
                C: d RENAME Projects Gone
                S~ d %s
                C: e SUBSCRIBE Projects
                S~ e %s
                C: f UNSUBSCRIBE INBOX
                S~ f %s
                C: g APPEND INBOX {18+}
                C: Subject: x<CRLF><CRLF>evil
                S~ g %s
                C: h SETACL INBOX mallory lrswipkxtea
                S~ h %s
                C: i DELETEACL INBOX alice
                S~ i %s
                C: j SETQUOTA "" (STORAGE 1)
                S~ j %s
                C: k SELECT INBOX
                S* k OK \\[READ-ONLY\\] EXAMINE completed
                C: l FETCH 1:* (FLAGS BODY[])
                S* l OK FETCH completed
                C: m STORE 1:* +FLAGS (\\Deleted)
                S~ m %s
                C: n UID STORE 1:* FLAGS ()
                S~ n %s
                C: o EXPUNGE
                S~ o %s
                C: p UID EXPUNGE 1:*
                S~ p %s
                C: q COPY 1:* Projects
                S~ q %s
                C: r MOVE 1:* Projects
                S~ r %s
                C: s CLOSE
                S: s OK CLOSE completed
                C: t STATUS INBOX (MESSAGES UNSEEN)
                S: * STATUS "INBOX" (MESSAGES 2 UNSEEN 1)
                S: t OK STATUS completed
                C: u LIST "" "*"
                S* \\* LIST \\(\\\\HasNoChildren\\) "/" "Projects"
                S* u OK LIST completed
                C: v STATUS Projects (MESSAGES)
                S: * STATUS "Projects" (MESSAGES 0)
                S: v OK STATUS completed
                """.formatted(verifyLogin("alice"), ro, ro, ro, ro, ro, ro, ro, ro, ro, ro, ro, ro, ro, ro, ro));
        assertThat(store.user("alice").mailbox("Evil")).isEmpty();
        assertThat(store.user("alice").subscriptions()).contains("INBOX").doesNotContain("Projects");
    }

    /** On a master too the verification session is read-only: the tool never needs to write. */
    @Test void writesThroughAVerificationLoginOnAMasterAreRefused() throws Exception {
        start(VerifyAccess.LOOPBACK);
        aliceOnAReplica();
        store.replication().unfence();
        Conversation.play(port(), """
                C: a AUTHENTICATE PLAIN %s
                S~ a OK .*
                C: b CREATE Evil
                S~ b NO \\[UNAVAILABLE\\] .*
                C: c SELECT INBOX
                S* c OK \\[READ-ONLY\\] EXAMINE completed
                C: d STORE 1 +FLAGS (\\Seen)
                S~ d NO \\[UNAVAILABLE\\] .*
                C: e FETCH 1 (BODY[])
                S* e OK FETCH completed
                """.formatted(verifyLogin("alice")));
        assertThat(store.user("alice").mailbox("Evil")).isEmpty();
        Conversation.play(port(), """
                C: a LOGIN alice pw-alice
                S~ a OK .*
                C: b STATUS INBOX (UNSEEN)
                S: * STATUS "INBOX" (UNSEEN 1)
                S: b OK STATUS completed
                """);
    }
}
