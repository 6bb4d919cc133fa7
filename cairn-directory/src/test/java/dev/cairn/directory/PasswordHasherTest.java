// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PasswordHasherTest {
    /** Cheap parameters for tests that are not about the parameters. */
    static final PasswordHasher FAST = new PasswordHasher(new PasswordHasher.Parameters(64, 1, 1), 2);

    @Test
    void defaultParametersAreAtLeastOwaspMinimumAndStoredInTheHash() {
        PasswordHasher hasher = new PasswordHasher();
        assertThat(hasher.parameters().memoryKib()).isGreaterThanOrEqualTo(19 * 1024);
        assertThat(hasher.parameters().iterations()).isGreaterThanOrEqualTo(2);
        assertThat(hasher.parameters().parallelism()).isGreaterThanOrEqualTo(1);
        String hash = hasher.hash("correct horse".toCharArray());
        assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
        assertThat(hasher.verify("correct horse".toCharArray(), hash)).isTrue();
        assertThat(hasher.verify("correct horsE".toCharArray(), hash)).isFalse();
    }

    @Test
    void saltMakesEveryHashDifferent() {
        String a = FAST.hash("secret".toCharArray());
        String b = FAST.hash("secret".toCharArray());
        assertThat(a).isNotEqualTo(b);
        assertThat(FAST.verify("secret".toCharArray(), a)).isTrue();
        assertThat(FAST.verify("secret".toCharArray(), b)).isTrue();
    }

    @Test
    void hashMadeWithOtherParametersStillVerifiesAndAsksForRehash() {
        String old = FAST.hash("secret".toCharArray());
        PasswordHasher stronger = new PasswordHasher(new PasswordHasher.Parameters(128, 2, 1), 2);
        assertThat(stronger.verify("secret".toCharArray(), old)).isTrue();
        assertThat(stronger.needsRehash(old)).isTrue();
        assertThat(stronger.needsRehash(stronger.hash("secret".toCharArray()))).isFalse();
    }

    @Test
    void missingOrForeignHashNeverMatchesButStillCosts() {
        long before = FAST.verifications();
        assertThat(FAST.verify("cairn decoy password".toCharArray(), null)).isFalse();
        assertThat(FAST.verify("x".toCharArray(), "plaintext")).isFalse();
        assertThat(FAST.verify(new char[0], null)).isFalse();
        assertThat(FAST.verifications() - before).isEqualTo(3);
    }

    @Test
    void passwordLengthLimits() {
        assertThat(FAST.verify("a".repeat(1024).toCharArray(), FAST.hash("a".repeat(1024).toCharArray()))).isTrue();
        assertThatThrownBy(() -> FAST.hash("a".repeat(1025).toCharArray()))
                .isInstanceOf(DirectoryException.class).hasMessageContaining("at most 1024");
        assertThatThrownBy(() -> FAST.hash(new char[0])).isInstanceOf(DirectoryException.class);
        String hash = FAST.hash("a".toCharArray());
        assertThat(FAST.verify("a".repeat(1025).toCharArray(), hash)).isFalse();
    }

    @Test
    void unicodePasswords() {
        String hash = FAST.hash("p\u00e4ssw\u00f6rd\u2603".toCharArray());
        assertThat(FAST.verify("p\u00e4ssw\u00f6rd\u2603".toCharArray(), hash)).isTrue();
        assertThat(FAST.verify("passwo rd".toCharArray(), hash)).isFalse();
    }
}
