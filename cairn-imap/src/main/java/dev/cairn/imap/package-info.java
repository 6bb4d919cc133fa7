// SPDX-License-Identifier: Apache-2.0
/**
 * IMAP4rev2 and IMAP4rev1 over the slot store: protocol behaviour. {@link dev.cairn.imap.ImapServer}
 * runs the listeners; each connection is an {@link dev.cairn.imap.ImapSession} on its own virtual
 * thread, which dispatches the parsed commands of {@link dev.cairn.imap.syntax} by an exhaustive
 * switch and keeps its own message sequence numbers ({@code SelectedMailbox}) fed by the store's
 * mailbox changes. FETCH, SEARCH/SORT/THREAD and LIST each have their own class; the sort keys of
 * RFC 5256 and RFC 5957 are in {@code SortKeys}, and {@code BinaryAppend} stores a literal8 APPEND
 * so that NUL never leaves in a normal literal. {@code CONFORMANCE.md} beside the module's POM maps
 * each RFC section to the code and the test that show it.
 *
 * <p>What a session is told, and when: every committed change of the selected mailbox (its own
 * included) reaches the session's queue in commit order and is told in that order, so a
 * message's MODSEQ only grows in what a client sees (RFC 7162 §3.1). A command that answers
 * from the mailbox's current state (FETCH, STORE) first tells what its queue holds up to that
 * state ({@code MailboxView.Attachment.latest}); expunges wait where RFC 9051 §7.5.1 says, and a
 * CONDSTORE session is then given a HIGHESTMODSEQ below them (RFC 7162 §3.2). A keyword is named
 * by FLAGS and PERMANENTFLAGS before any FETCH shows it (RFC 9051 §7.3.5). In IMAP4rev1 a new
 * message is {@code \Recent} in the one session told of it first (RFC 3501 §2.3.2; the store keeps
 * the per-mailbox mark); IMAP4rev2 sessions neither see nor take it.
 *
 * <p>Besides users (checked by the directory), one more login exists: the read-only one of
 * `cairn replica verify`, which works on replicas too and is described, with how it is
 * secured, in {@link dev.cairn.imap.VerifyAccess}.
 */
package dev.cairn.imap;
