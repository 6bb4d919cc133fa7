// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

/** A mailbox that got a new UIDVALIDITY (an unclean promotion could not vouch for its UIDs). */
public record NewUidValidity(String user, String mailbox, long before, long after) {}
