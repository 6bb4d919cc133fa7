// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

/** What a slot last was for its store, kept across restarts (none kept: as the config says). */
public enum Role { MASTER, REPLICA }
