// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

/** One address of a user: the primary address, or an alias. */
public record AddressEntry(String address, String user, boolean primary) {
}
