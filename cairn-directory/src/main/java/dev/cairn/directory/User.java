// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.time.Instant;
import java.util.Optional;

/**
 * An account as the directory holds it. The password hash is deliberately not part of it: nothing
 * outside the directory needs it, and a record that holds it ends up in a log line sooner or later.
 *
 * @param name           canonical user name (see {@link UserNames#canonical})
 * @param primaryAddress the address mail to the user is normally sent to, if any
 * @param group          users of one group are placed on one store (co-location of shared folders)
 * @param hasPassword    false for accounts that receive mail but cannot log in
 */
public record User(String name, Optional<String> primaryAddress, QuotaLimits quota, Optional<String> group,
                   Instant created, boolean disabled, boolean hasPassword) {
}
