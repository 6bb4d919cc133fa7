// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

/** What applying a master's record did: applied it, or skipped it as at or below the user's seq. */
public enum ApplyOutcome { APPLIED, ALREADY_APPLIED }
