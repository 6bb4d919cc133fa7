// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;

import java.nio.CharBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Argon2id password hashes in the PHC string format ({@code $argon2id$v=19$m=..,t=..,p=..$salt$hash}),
 * so the parameters travel with each hash and can be raised later without breaking old hashes.
 *
 * <p>The default parameters are OWASP's minimum for Argon2id (m=19 MiB, t=2, p=1). Each hash
 * holds m of memory while it runs, so the number of hashes running at once is bounded: a burst of
 * logins queues instead of exhausting the heap.
 */
public final class PasswordHasher {
    public record Parameters(int memoryKib, int iterations, int parallelism) {
        public static final Parameters OWASP_MINIMUM = new Parameters(19 * 1024, 2, 1);

        public Parameters {
            if (memoryKib < 8 * parallelism || iterations < 1 || parallelism < 1) {
                throw new IllegalArgumentException("invalid Argon2 parameters: m=" + memoryKib + " t=" + iterations + " p=" + parallelism);
            }
        }

        String phcPrefix() {
            return "$argon2id$v=19$m=" + memoryKib + ",t=" + iterations + ",p=" + parallelism + "$";
        }
    }

    /** Longer passwords are refused rather than hashed: a megabyte "password" is an attack. */
    public static final int MAX_PASSWORD_LENGTH = 1024;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;

    private final Parameters parameters;
    private final Argon2Function function;
    private final Semaphore running;
    private final LongAdder verifications = new LongAdder();
    /** Verified against when the user is unknown, so an unknown name costs as much as a known one. */
    private volatile String decoy;

    public PasswordHasher(Parameters parameters, int maxConcurrent) {
        this.parameters = parameters;
        this.function = Argon2Function.getInstance(parameters.memoryKib(), parameters.iterations(),
                parameters.parallelism(), HASH_BYTES, Argon2.ID, Argon2Function.ARGON2_VERSION_13);
        this.running = new Semaphore(maxConcurrent, true);
    }

    public PasswordHasher() {
        this(Parameters.OWASP_MINIMUM, Math.max(2, Runtime.getRuntime().availableProcessors()));
    }

    public Parameters parameters() { return parameters; }

    /** Throws {@link DirectoryException} INVALID_PASSWORD for an empty or over-long password. */
    public static void validate(char[] password) {
        if (password == null || password.length == 0) {
            throw new DirectoryException(DirectoryException.Reason.INVALID_PASSWORD, "the password must not be empty");
        }
        if (password.length > MAX_PASSWORD_LENGTH) {
            throw new DirectoryException(DirectoryException.Reason.INVALID_PASSWORD,
                    "the password must be at most " + MAX_PASSWORD_LENGTH + " characters");
        }
    }

    /** A new hash (fresh random salt) of the password with the current parameters. */
    public String hash(char[] password) {
        validate(password);
        return limited(() -> Password.hash(CharBuffer.wrap(password)).addRandomSalt(SALT_BYTES).with(function).getResult());
    }

    /**
     * Whether the password matches the hash. A null hash (unknown user, account without password)
     * is checked against a decoy and answers false, taking the same time as a real check.
     */
    public boolean verify(char[] password, String hash) {
        verifications.increment();
        String decoy = decoy();
        if (password == null || password.length == 0 || password.length > MAX_PASSWORD_LENGTH) {
            limited(() -> function.check(CharBuffer.wrap("x"), decoy));
            return false;
        }
        boolean real = hash != null && hash.startsWith("$argon2");
        String against = real ? hash : decoy;
        boolean match = limited(() -> {
            try {
                return Argon2Function.getInstanceFromHash(against).check(CharBuffer.wrap(password), against);
            } catch (RuntimeException damagedHash) {
                return false;
            }
        });
        return match && real;
    }

    /** How many passwords were checked (a metric, and how tests see that a decoy check ran). */
    public long verifications() {
        return verifications.sum();
    }

    /** Made at first need, not at start-up: a CLI command that only adds a user never needs it. */
    private String decoy() {
        String d = decoy;
        if (d == null) {
            d = hash("cairn decoy password".toCharArray());
            decoy = d;
        }
        return d;
    }

    /** True when the hash was made with other parameters than the current ones. */
    public boolean needsRehash(String hash) {
        return hash == null || !hash.startsWith(parameters.phcPrefix());
    }

    private <T> T limited(java.util.function.Supplier<T> work) {
        running.acquireUninterruptibly();
        try {
            return work.get();
        } finally {
            running.release();
        }
    }
}
