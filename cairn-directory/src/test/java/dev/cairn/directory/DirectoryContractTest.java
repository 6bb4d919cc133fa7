// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.cairn.directory.PasswordHasherTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every directory does, the same in SQLite and PostgreSQL ({@link SqliteDirectoryTest},
 * {@link PostgresDirectoryIT}): accounts, passwords, addresses and aliases unique across the
 * directory, quota, group, disabled, delete, the canonical spelling of names and addresses, the
 * lookups, and placement. A second directory opened on the same database stands for another
 * process (the {@code cairn user} command) or another node.
 */
abstract class DirectoryContractTest {
    @TempDir Path dir;
    SqlDirectory directory;

    /** Opens the database {@code name} of this test (made empty at its first open), as another process would. */
    abstract SqlDirectory open(String name, Optional<String> defaultDomain, PasswordHasher hasher, PasswordPolicy policy);

    SqlDirectory open(String name, Optional<String> defaultDomain) {
        return open(name, defaultDomain, FAST, PasswordPolicy.ANY);
    }

    @BeforeEach
    void open() {
        directory = open("directory", Optional.of("Example.org"));
    }

    @AfterEach
    void close() {
        directory.close();
    }

    static char[] pw(String s) { return s.toCharArray(); }

    static DirectoryException.Reason reasonOf(Runnable r) {
        try {
            r.run();
        } catch (DirectoryException e) {
            return e.reason();
        }
        throw new AssertionError("no DirectoryException");
    }

    @Test
    void addsAndReadsUsers() {
        User alice = directory.addUser(new NewUser("Alice", pw("secret"), new QuotaLimits(1 << 30, 1000),
                Optional.of("team-a"), Optional.empty()));
        assertThat(alice.name()).isEqualTo("alice");
        assertThat(alice.primaryAddress()).contains("alice@example.org");
        assertThat(alice.quota()).isEqualTo(new QuotaLimits(1 << 30, 1000));
        assertThat(alice.group()).contains("team-a");
        assertThat(alice.disabled()).isFalse();
        assertThat(alice.hasPassword()).isTrue();
        assertThat(alice.created()).isNotNull();

        directory.addUser(NewUser.of("bob@other.example", null));
        assertThat(directory.users()).extracting(User::name).containsExactly("alice", "bob@other.example");
        User bob = directory.user("BOB@other.example").orElseThrow();
        assertThat(bob.primaryAddress()).contains("bob@other.example");
        assertThat(bob.quota()).isEqualTo(QuotaLimits.UNLIMITED);
        assertThat(bob.hasPassword()).isFalse();
        assertThat(directory.user("nobody")).isEmpty();
        assertThat(directory.user("bad/name")).isEmpty();
    }

    @Test
    void refusesDuplicateAndBadUsers() {
        directory.addUser(NewUser.of("alice", pw("x")));
        assertThat(reasonOf(() -> directory.addUser(NewUser.of("ALICE", pw("x"))))).isEqualTo(Reason.USER_EXISTS);
        assertThat(reasonOf(() -> directory.addUser(NewUser.of("a/b", pw("x"))))).isEqualTo(Reason.INVALID_USER_NAME);
        assertThat(reasonOf(() -> directory.addUser(NewUser.of("carol", new char[0])))).isEqualTo(Reason.INVALID_PASSWORD);
        assertThat(reasonOf(() -> directory.addUser(new NewUser("dave", pw("x"), QuotaLimits.UNLIMITED,
                Optional.of("bad\ngroup"), Optional.empty())))).isEqualTo(Reason.INVALID_ARGUMENT);
        assertThat(reasonOf(() -> directory.addUser(new NewUser("erin", pw("x"), null, null,
                Optional.of("not an address"))))).isEqualTo(Reason.INVALID_ADDRESS);
        // The primary address alice@example.org is taken by alice.
        assertThat(reasonOf(() -> directory.addUser(new NewUser("frank", pw("x"), null, null,
                Optional.of("Alice@example.org"))))).isEqualTo(Reason.ADDRESS_TAKEN);
        assertThatThrownBy(() -> new QuotaLimits(-2, 0)).isInstanceOf(DirectoryException.class);
        // Nothing of the refused users was written.
        assertThat(directory.users()).extracting(User::name).containsExactly("alice");
        assertThat(directory.addresses(Optional.empty())).extracting(AddressEntry::address).containsExactly("alice@example.org");
    }

    @Test
    void authenticatesByNameOrAddress() {
        directory.addUser(NewUser.of("Alice", pw("secret")));
        directory.addAlias("a.smith@example.net", "alice");
        assertThat(directory.authenticate("alice", pw("secret"))).contains("alice");
        assertThat(directory.authenticate("ALICE", pw("secret"))).contains("alice");
        assertThat(directory.authenticate("alice@example.org", pw("secret"))).contains("alice");
        assertThat(directory.authenticate("A.Smith@Example.NET", pw("secret"))).contains("alice");
        assertThat(directory.authenticate("alice", pw("Secret"))).isEmpty();
        assertThat(directory.authenticate("alice", new char[0])).isEmpty();
        assertThat(directory.authenticate("alice", null)).isEmpty();
        assertThat(directory.authenticate(null, pw("secret"))).isEmpty();
        assertThat(directory.authenticate("a".repeat(10_000), pw("secret"))).isEmpty();
    }

    @Test
    void unknownDisabledAndPasswordlessUsersCostOneHashAndFail() {
        directory.addUser(NewUser.of("alice", pw("secret")));
        directory.addUser(NewUser.of("bob", null));
        for (String login : new String[] {"nobody", "bad/name", "bob", "alice"}) {
            if (login.equals("alice")) {
                directory.setDisabled("alice", true);
            }
            long before = FAST.verifications();
            assertThat(directory.authenticate(login, pw("secret"))).as(login).isEmpty();
            assertThat(FAST.verifications() - before).as(login).isEqualTo(1);
        }
        // Only the right password learns that the account is disabled.
        assertThat(directory.login("alice", pw("secret"))).isEqualTo(new Login(Login.Outcome.DISABLED, Optional.of("alice")));
        assertThat(directory.login("alice", pw("wrong"))).isEqualTo(new Login(Login.Outcome.INVALID_CREDENTIALS, Optional.empty()));
        directory.setDisabled("alice", false);
        assertThat(directory.authenticate("alice", pw("secret"))).contains("alice");
        assertThat(directory.login("ALICE", pw("secret"))).isEqualTo(new Login(Login.Outcome.SUCCESS, Optional.of("alice")));
    }

    @Test
    void repeatedLoginsPayOneHashUntilThePasswordChanges() {
        directory.addUser(NewUser.of("alice", pw("old")));
        long before = FAST.verifications();
        for (int i = 0; i < 5; i++) assertThat(directory.authenticate("alice", pw("old"))).contains("alice");
        assertThat(FAST.verifications() - before).isEqualTo(1);
        // A wrong password is never answered from memory.
        assertThat(directory.authenticate("alice", pw("olD"))).isEmpty();
        assertThat(FAST.verifications() - before).isEqualTo(2);
        // The remembered success belongs to the old hash: after a change the old password fails.
        directory.setPassword("alice", pw("new"));
        assertThat(directory.authenticate("alice", pw("old"))).isEmpty();
        assertThat(directory.authenticate("alice", pw("new"))).contains("alice");
    }

    @Test
    void passwordChangeAndRemoval() {
        directory.addUser(NewUser.of("alice", pw("old")));
        directory.setPassword("Alice", pw("new"));
        assertThat(directory.authenticate("alice", pw("old"))).isEmpty();
        assertThat(directory.authenticate("alice", pw("new"))).contains("alice");
        directory.setPassword("alice", null);
        assertThat(directory.authenticate("alice", pw("new"))).isEmpty();
        assertThat(directory.user("alice").orElseThrow().hasPassword()).isFalse();
        assertThat(reasonOf(() -> directory.setPassword("nobody", pw("x")))).isEqualTo(Reason.NO_SUCH_USER);
    }

    @Test
    void passwordHashIsNeverReturnedAndStoredAsPhcString() throws Exception {
        directory.addUser(NewUser.of("alice", pw("secret")));
        assertThat(directory.user("alice").orElseThrow().toString()).doesNotContain("argon2");
        assertThat(storedHash("alice")).startsWith("$argon2id$v=19$m=64,t=1,p=1$").doesNotContain("secret");
    }

    @Test
    void loginRehashesWithRaisedParameters() throws Exception {
        directory.addUser(NewUser.of("alice", pw("secret")));
        String old = storedHash("alice");
        directory.close();
        PasswordHasher stronger = new PasswordHasher(new PasswordHasher.Parameters(128, 2, 1), 2);
        directory = open("directory", Optional.of("example.org"), stronger, PasswordPolicy.ANY);
        assertThat(directory.authenticate("alice", pw("wrong"))).isEmpty();
        assertThat(storedHash("alice")).isEqualTo(old);
        assertThat(directory.authenticate("alice", pw("secret"))).contains("alice");
        assertThat(storedHash("alice")).startsWith("$argon2id$v=19$m=128,t=2,p=1$");
        assertThat(directory.authenticate("alice", pw("secret"))).contains("alice");
    }

    @Test
    void resolvesRecipients() {
        directory.addUser(NewUser.of("alice", pw("x")));
        directory.addUser(NewUser.of("bob@other.example", pw("x")));
        directory.addUser(new NewUser("carol", pw("x"), null, null, Optional.of("c.jones@other.example")));
        directory.addAlias("postmaster@example.org", "alice");
        directory.addAlias("sales+eu@example.org", "carol");

        Recipient plain = new Recipient("alice", Optional.empty(), false);
        assertThat(directory.resolve("alice@example.org")).contains(plain);
        assertThat(directory.resolve("ALICE@EXAMPLE.ORG")).contains(plain);
        assertThat(directory.resolve("Postmaster@Example.org")).contains(plain);
        assertThat(directory.resolve("alice+Lists@example.org")).contains(new Recipient("alice", Optional.of("lists"), false));
        assertThat(directory.resolve("alice+@example.org")).contains(plain);
        // A bare local part is taken to be of the default domain.
        assertThat(directory.resolve("alice")).contains(plain);
        assertThat(directory.resolve("carol+x")).contains(new Recipient("carol", Optional.of("x"), false));
        // The exact address wins over detail splitting.
        assertThat(directory.resolve("sales+eu@example.org")).contains(new Recipient("carol", Optional.empty(), false));
        assertThat(directory.resolve("bob@other.example")).contains(new Recipient("bob@other.example", Optional.empty(), false));
        assertThat(directory.resolve("bob+x@other.example")).contains(new Recipient("bob@other.example", Optional.of("x"), false));
        assertThat(directory.resolve("c.jones+y@other.example")).contains(new Recipient("carol", Optional.of("y"), false));
        // A user's name is an address only in the default domain (and the local domains, none here).
        assertThat(directory.resolve("alice@other.example")).isEmpty();
        assertThat(directory.resolve("carol@other.example")).isEmpty();
        assertThat(directory.resolve("nobody@example.org")).isEmpty();
        assertThat(directory.resolve("")).isEmpty();
        assertThat(directory.resolve(null)).isEmpty();
        assertThat(directory.resolve("alice@example.org\r\nRCPT TO:<x>")).isEmpty();
        assertThat(directory.resolve("x".repeat(100_000))).isEmpty();

        directory.setDisabled("alice", true);
        assertThat(directory.resolve("alice@example.org")).contains(new Recipient("alice", Optional.empty(), true));
    }

    @Test
    void withoutDefaultDomainABareNameIsTheUserAndOtherDomainsNeedAnAddress() {
        directory.close();
        directory = open("other", Optional.empty());
        User alice = directory.addUser(NewUser.of("alice", pw("x")));
        assertThat(alice.primaryAddress()).isEmpty();
        assertThat(directory.resolve("alice")).map(Recipient::user).contains("alice");
        assertThat(directory.resolve("alice@example.org")).isEmpty();
        directory.addAlias("alice@example.org", "alice");
        assertThat(directory.resolve("alice@example.org")).map(Recipient::user).contains("alice");
    }

    @Test
    void aUserWithoutAddressReceivesAtItsNameInTheLocalDomainsOnly() {
        directory.close();
        directory = open("other", Optional.empty());
        directory.addUser(NewUser.of("alice", pw("x")));
        LocalDomains local = LocalDomains.of(List.of("mx.example.net", "LocalHost."), true);
        Recipient alice = new Recipient("alice", Optional.empty(), false);
        assertThat(directory.resolve("alice", local)).isEqualTo(new Resolution.Found(alice));
        assertThat(directory.resolve("ALICE@localhost", local)).isEqualTo(new Resolution.Found(alice));
        assertThat(directory.resolve("alice@mx.example.net.", local)).isEqualTo(new Resolution.Found(alice));
        assertThat(directory.resolve("alice+news@localhost", local))
                .isEqualTo(new Resolution.Found(new Recipient("alice", Optional.of("news"), false)));
        // One label more or less is another domain: not local.
        assertThat(directory.resolve("alice@example.net", local)).isEqualTo(new Resolution.Unknown(
                "no address alice@example.net, and example.net is not a local domain (where user names are addresses)"));
        assertThat(directory.resolve("alice@sub.mx.example.net", local)).isInstanceOf(Resolution.Unknown.class);
        assertThat(directory.resolve("bob@localhost", local))
                .isEqualTo(new Resolution.Unknown("no address bob@localhost and no user bob"));
        assertThat(directory.resolve("bob", local)).isEqualTo(new Resolution.Unknown("no user bob"));
        assertThat(directory.resolve("alice", LocalDomains.of(List.of("localhost"), false)))
                .isEqualTo(new Resolution.Unknown("a recipient needs a domain here (bare user names are off)"));
        assertThat(directory.resolve("al ice", local)).isInstanceOf(Resolution.Unknown.class);
        assertThat(directory.resolve("", local)).isInstanceOf(Resolution.Unknown.class);
        assertThatThrownBy(() -> LocalDomains.of(List.of("not a domain"), true)).isInstanceOf(DirectoryException.class);
    }

    @Test
    void thePasswordPolicyRefusesAPasswordOneShorterThanItsMinimum() {
        directory.close();
        directory = open("policy", Optional.empty(), FAST, new PasswordPolicy(8));
        assertThat(reasonOf(() -> directory.addUser(NewUser.of("alice", pw("1234567"))))).isEqualTo(Reason.INVALID_PASSWORD);
        assertThatThrownBy(() -> directory.addUser(NewUser.of("alice", pw("1234567"))))
                .hasMessage("the password must be at least 8 characters (it has 7)");
        assertThat(directory.user("alice")).isEmpty();
        directory.addUser(NewUser.of("alice", pw("12345678")));
        assertThat(reasonOf(() -> directory.setPassword("alice", pw("short")))).isEqualTo(Reason.INVALID_PASSWORD);
        assertThat(directory.authenticate("alice", pw("12345678"))).contains("alice");
        directory.setPassword("alice", pw("87654321"));
        assertThat(directory.authenticate("alice", pw("87654321"))).contains("alice");
        // An account without a password (receives mail only) is not a password.
        directory.addUser(NewUser.of("robot", null));
    }

    @Test
    void aliasesAndPrimaryAddresses() {
        directory.addUser(NewUser.of("alice", pw("x")));
        directory.addUser(NewUser.of("bob", pw("x")));
        directory.addAlias("Info@Example.org", "ALICE");
        assertThat(reasonOf(() -> directory.addAlias("info@example.org", "bob"))).isEqualTo(Reason.ADDRESS_TAKEN);
        assertThat(reasonOf(() -> directory.addAlias("bob@example.org", "alice"))).isEqualTo(Reason.ADDRESS_TAKEN);
        assertThat(reasonOf(() -> directory.addAlias("x@example.org", "nobody"))).isEqualTo(Reason.NO_SUCH_USER);
        assertThat(reasonOf(() -> directory.addAlias("not-an-address", "alice"))).isEqualTo(Reason.INVALID_ADDRESS);
        assertThat(directory.addresses(Optional.of("alice"))).containsExactly(
                new AddressEntry("alice@example.org", "alice", true),
                new AddressEntry("info@example.org", "alice", false));

        directory.setPrimaryAddress("alice", "info@example.org");
        assertThat(directory.user("alice").orElseThrow().primaryAddress()).contains("info@example.org");
        directory.setPrimaryAddress("alice", "a@example.net");
        assertThat(directory.addresses(Optional.of("alice"))).containsExactly(
                new AddressEntry("a@example.net", "alice", true),
                new AddressEntry("alice@example.org", "alice", false),
                new AddressEntry("info@example.org", "alice", false));
        assertThat(reasonOf(() -> directory.setPrimaryAddress("alice", "bob@example.org"))).isEqualTo(Reason.ADDRESS_TAKEN);

        assertThat(directory.removeAddress("INFO@example.org")).isTrue();
        assertThat(directory.removeAddress("info@example.org")).isFalse();
        assertThat(directory.removeAddress("garbage")).isFalse();
        assertThat(directory.resolve("info@example.org")).isEmpty();
        assertThat(directory.addresses(Optional.empty())).extracting(AddressEntry::user)
                .containsExactly("alice", "alice", "bob");
    }

    @Test
    void deleteRemovesUserAndAddresses() {
        directory.addUser(NewUser.of("alice", pw("x")));
        directory.addAlias("info@example.org", "alice");
        assertThat(directory.deleteUser("Alice")).isTrue();
        assertThat(directory.deleteUser("alice")).isFalse();
        assertThat(directory.deleteUser("bad/name")).isFalse();
        assertThat(directory.user("alice")).isEmpty();
        assertThat(directory.addresses(Optional.empty())).isEmpty();
        assertThat(directory.resolve("info@example.org")).isEmpty();
        // The name and addresses can be used again.
        directory.addUser(NewUser.of("alice", pw("y")));
        directory.addAlias("info@example.org", "alice");
    }

    @Test
    void quotaGroupAndDisabled() {
        directory.addUser(NewUser.of("alice", pw("x")));
        assertThat(directory.quota("alice")).isEqualTo(QuotaLimits.UNLIMITED);
        directory.setQuota("alice", new QuotaLimits(5_000_000, QuotaLimits.NONE));
        assertThat(directory.quota("ALICE")).isEqualTo(new QuotaLimits(5_000_000, -1));
        assertThat(directory.quota("nobody")).isEqualTo(QuotaLimits.UNLIMITED);
        assertThat(reasonOf(() -> directory.setQuota("nobody", QuotaLimits.UNLIMITED))).isEqualTo(Reason.NO_SUCH_USER);
        directory.setGroup("alice", Optional.of("sales"));
        assertThat(directory.user("alice").orElseThrow().group()).contains("sales");
        directory.setGroup("alice", Optional.empty());
        assertThat(directory.user("alice").orElseThrow().group()).isEmpty();
        directory.setDisabled("alice", true);
        assertThat(directory.user("alice").orElseThrow().disabled()).isTrue();
    }

    @Test
    void anotherConnectionSeesChangesAtOnce() {
        // Another directory on the same database stands for the `cairn user` process, or another node.
        try (SqlDirectory other = open("directory", Optional.of("example.org"))) {
            assertThat(directory.user("alice")).isEmpty();
            other.addUser(NewUser.of("alice", pw("one")));
            assertThat(directory.authenticate("alice", pw("one"))).contains("alice");
            other.setPassword("alice", pw("two"));
            assertThat(directory.authenticate("alice", pw("one"))).isEmpty();
            assertThat(directory.authenticate("alice", pw("two"))).contains("alice");
            other.addAlias("info@example.org", "alice");
            assertThat(directory.resolve("info@example.org")).map(Recipient::user).contains("alice");
            other.setQuota("alice", new QuotaLimits(10, 10));
            assertThat(directory.quota("alice")).isEqualTo(new QuotaLimits(10, 10));
            other.deleteUser("alice");
            assertThat(directory.resolve("info@example.org")).isEmpty();
        }
    }

    @Test
    void closedDirectoryRefuses() {
        directory.close();
        assertThat(reasonOf(() -> directory.users())).isEqualTo(Reason.UNAVAILABLE);
    }

    @Test
    void twoWritersAddingOneAddressGiveItToOneUserAndRefuseTheOther() throws Exception {
        directory.addUser(NewUser.of("alice", pw("x")));
        directory.addUser(NewUser.of("bob", pw("x")));
        try (SqlDirectory other = open("directory", Optional.of("example.org"))) {
            List<Reason> refusals = race(List.of(
                    () -> directory.addAlias("Shared@example.org", "alice"),
                    () -> other.addAlias("shared@EXAMPLE.org", "bob")));
            // One owner; the other is told why (never a database error, never two owners).
            assertThat(refusals).containsExactly(Reason.ADDRESS_TAKEN);
            assertThat(directory.addresses(Optional.empty())).filteredOn(e -> e.address().equals("shared@example.org")).hasSize(1);
        }
    }

    @Test
    void placementIsACompareAndSetOnTheUsersStore() {
        directory.addUser(NewUser.of("alice", pw("x")));
        directory.addUser(NewUser.of("bob", pw("x")));
        Placement placement = directory.placement();
        assertThat(placement.storeOf("alice")).isEmpty();
        assertThat(placement.place("ALICE", Optional.empty(), "s1")).isTrue();
        assertThat(placement.storeOf("Alice")).contains("s1");
        // A mover that expected the user unplaced (or on another store) changes nothing.
        assertThat(placement.place("alice", Optional.empty(), "s2")).isFalse();
        assertThat(placement.place("alice", Optional.of("s3"), "s2")).isFalse();
        assertThat(placement.storeOf("alice")).contains("s1");
        assertThat(placement.place("alice", Optional.of("s1"), "s2")).isTrue();
        assertThat(placement.place("bob", Optional.empty(), "s2")).isTrue();
        assertThat(placement.usersOf("s2")).containsExactly("alice", "bob");
        assertThat(placement.usersOf("s1")).isEmpty();
        assertThat(placement.storeOf("nobody")).isEmpty();
        assertThat(placement.storeOf("bad/name")).isEmpty();
        assertThat(reasonOf(() -> placement.place("nobody", Optional.empty(), "s1"))).isEqualTo(Reason.NO_SUCH_USER);
        assertThat(reasonOf(() -> placement.place("alice", Optional.of("s2"), "bad store"))).isEqualTo(Reason.INVALID_ARGUMENT);
        assertThat(reasonOf(() -> placement.place("alice", Optional.of("s2"), "s".repeat(Placement.MAX_STORE_LENGTH + 1))))
                .isEqualTo(Reason.INVALID_ARGUMENT);
        assertThat(placement.place("alice", Optional.of("s2"), "s".repeat(Placement.MAX_STORE_LENGTH))).isTrue();
        // A user deleted and added again is not placed.
        directory.deleteUser("bob");
        assertThat(placement.usersOf("s2")).isEmpty();
        directory.addUser(NewUser.of("bob", pw("x")));
        assertThat(placement.storeOf("bob")).isEmpty();
    }

    @Test
    void ofManyMoversOfOneUserExactlyOneWins() throws Exception {
        directory.addUser(NewUser.of("alice", pw("x")));
        directory.placement().place("alice", Optional.empty(), "s1");
        try (SqlDirectory other = open("directory", Optional.of("example.org"))) {
            List<Callable<Boolean>> movers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Placement through = (i % 2 == 0 ? directory : other).placement();
                String to = "s" + (10 + i);
                movers.add(() -> through.place("alice", Optional.of("s1"), to));
            }
            List<Boolean> won = all(movers);
            assertThat(won).filteredOn(w -> w).hasSize(1);
            String winner = "s" + (10 + won.indexOf(true));
            assertThat(other.placement().storeOf("alice")).contains(winner);
        }
    }

    @Test
    void groupsAndDomainsHaveAStoreForTheirNewUsers() {
        Placement placement = directory.placement();
        assertThat(placement.groupStore("sales")).isEmpty();
        placement.setGroupStore("sales", Optional.of("s1"));
        placement.setGroupStore("sales", Optional.of("s2"));
        assertThat(placement.groupStore("sales")).contains("s2");
        assertThat(placement.groupStore("Sales")).isEmpty();
        placement.setGroupStore("sales", Optional.empty());
        assertThat(placement.groupStore("sales")).isEmpty();
        assertThat(reasonOf(() -> placement.setGroupStore("bad\ngroup", Optional.of("s1")))).isEqualTo(Reason.INVALID_ARGUMENT);

        placement.setDomainStore("Example.ORG.", Optional.of("s3"));
        assertThat(placement.domainStore("example.org")).contains("s3");
        assertThat(placement.domainStore("example.net")).isEmpty();
        assertThat(reasonOf(() -> placement.domainStore("not a domain"))).isEqualTo(Reason.INVALID_ADDRESS);
        assertThat(reasonOf(() -> placement.setDomainStore("example.org", Optional.of("")))).isEqualTo(Reason.INVALID_ARGUMENT);
        placement.setDomainStore("example.org", Optional.empty());
        assertThat(placement.domainStore("example.org")).isEmpty();
    }

    /** Runs the changes at once (each on a thread of its own); the reasons of those refused. */
    static List<Reason> race(List<Runnable> changes) throws Exception {
        List<Callable<Reason>> calls = new ArrayList<>();
        for (Runnable r : changes) calls.add(() -> {
            try {
                r.run();
                return null;
            } catch (DirectoryException e) {
                return e.reason();
            }
        });
        return all(calls).stream().filter(r -> r != null).toList();
    }

    /** Calls them all as nearly at once as threads allow; their answers in order. */
    static <T> List<T> all(List<Callable<T>> calls) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(calls.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> c : calls) futures.add(threads.submit(() -> {
                go.await();
                return c.call();
            }));
            go.countDown();
            List<T> answers = new ArrayList<>();
            for (Future<T> f : futures) answers.add(f.get());
            return answers;
        } finally {
            threads.shutdownNow();
        }
    }

    String storedHash(String user) {
        return directory.passwordHash(user).orElseThrow();
    }
}
