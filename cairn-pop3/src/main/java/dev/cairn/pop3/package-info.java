// SPDX-License-Identifier: Apache-2.0
/** POP3 (RFC 1939, RFC 2449, RFC 2595, RFC 5034) over the slot store. */
package dev.cairn.pop3;
