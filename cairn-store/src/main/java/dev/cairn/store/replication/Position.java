// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

/** Where a replica's copy of a user stands: its seq and the epoch of the record at that seq (0, 0 for none). */
public record Position(String user, long seq, long epoch) {}
