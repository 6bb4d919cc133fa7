// SPDX-License-Identifier: Apache-2.0
/**
 * The one IMAP client of the project, shared by the load generator (`cairn bench imap`) and
 * `cairn replica verify`: {@link dev.cairn.imap.client.ImapResponseReader} (the strict, bounded
 * grammar of server responses, over {@link dev.cairn.imap.client.ResponseInput}, the bytes and
 * their bounds), {@link dev.cairn.imap.client.ImapResponse} (what it reads) and
 * {@link dev.cairn.imap.client.ImapClient} (tagged commands, APPEND literals, STARTTLS, COMPRESS,
 * LOGIN and SASL PLAIN). TLS itself is {@code dev.cairn.protocol.tls.TlsSockets}'s.
 */
package dev.cairn.imap.client;
