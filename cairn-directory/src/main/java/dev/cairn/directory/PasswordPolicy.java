// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

/**
 * What a new password must be, checked when one is set ({@code cairn user add}, {@code user passwd}).
 * Logins with an older, shorter password still work: the policy is for new ones. NIST SP 800-63B
 * §5.1.1.2 asks at least 8 characters of a password a user chooses, and no rules of composition.
 *
 * @param minLength fewest characters (UTF-16 units, as typed); at least 1
 */
public record PasswordPolicy(int minLength) {
    public static final int DEFAULT_MIN_LENGTH = 8;
    public static final PasswordPolicy DEFAULT = new PasswordPolicy(DEFAULT_MIN_LENGTH);
    /** No rule beyond "not empty": for programs and tests that set passwords themselves. */
    public static final PasswordPolicy ANY = new PasswordPolicy(1);

    public PasswordPolicy {
        if (minLength < 1 || minLength > PasswordHasher.MAX_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("a minimum password length is 1 to " + PasswordHasher.MAX_PASSWORD_LENGTH);
        }
    }

    /** Throws {@link DirectoryException} INVALID_PASSWORD when the password is too short (or empty, or too long). */
    public void check(char[] password) {
        PasswordHasher.validate(password);
        if (password.length < minLength) {
            throw new DirectoryException(DirectoryException.Reason.INVALID_PASSWORD,
                    "the password must be at least " + minLength + " characters (it has " + password.length + ")");
        }
    }
}
