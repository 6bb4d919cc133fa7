// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.Optional;

/**
 * What a recipient address resolved to: the user, whether the account is disabled, and the
 * detail of a {@code local+detail@domain} address (a mailbox hint for sieve or delivery).
 */
public record Recipient(String user, Optional<String> detail, boolean disabled) {
}
