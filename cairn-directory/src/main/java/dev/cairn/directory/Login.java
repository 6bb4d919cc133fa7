// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.Optional;

/**
 * The answer to a login. {@link Outcome#DISABLED} is given only after a correct password, so it
 * tells nothing to someone who does not know the password.
 *
 * @param user the canonical user name when the password matched
 */
public record Login(Outcome outcome, Optional<String> user) {
    public enum Outcome { SUCCESS, INVALID_CREDENTIALS, DISABLED }

    static final Login INVALID = new Login(Outcome.INVALID_CREDENTIALS, Optional.empty());

    public boolean succeeded() { return outcome == Outcome.SUCCESS; }
}
