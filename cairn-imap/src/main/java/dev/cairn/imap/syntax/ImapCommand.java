// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;

/**
 * A parsed command, one record per command of RFC 9051 / RFC 3501 and the extensions served,
 * named as the RFCs name them. Mailbox names are already decoded (modified UTF-7 or UTF-8) to
 * the store's UTF-8 form; "INBOX" in any case is normalised to "INBOX".
 */
public sealed interface ImapCommand {
    /** The command name as the RFC spells it (for responses and logs). */
    default String name() { return getClass().getSimpleName().toUpperCase(java.util.Locale.ROOT); }

    record Capability() implements ImapCommand {}
    record Noop() implements ImapCommand {}
    record Logout() implements ImapCommand {}
    record StartTls() implements ImapCommand {}
    /** AUTHENTICATE with an optional SASL-IR initial response (RFC 4959), null when absent. */
    record Authenticate(String mechanism, String initialResponse) implements ImapCommand {}
    record Login(String user, String password) implements ImapCommand {}
    record Enable(List<String> capabilities) implements ImapCommand {}
    /** QRESYNC parameters of SELECT/EXAMINE (RFC 7162 §3.2.5); knownUids and seqMatch may be null. */
    record QResync(long uidValidity, long modSeq, SequenceSet knownUids, SequenceSet seqMatchSeqs, SequenceSet seqMatchUids) {}
    record Select(String mailbox, boolean condStore, QResync qresync) implements ImapCommand {}
    record Examine(String mailbox, boolean condStore, QResync qresync) implements ImapCommand {}
    record Create(String mailbox, Set<String> specialUse) implements ImapCommand {}
    record Delete(String mailbox) implements ImapCommand {}
    record Rename(String from, String to) implements ImapCommand {}
    record Subscribe(String mailbox) implements ImapCommand {}
    record Unsubscribe(String mailbox) implements ImapCommand {}
    /**
     * LIST with LIST-EXTENDED (RFC 5258) selection and return options, LIST-STATUS (RFC 5819)
     * and SPECIAL-USE (RFC 6154); named so as not to hide {@code java.util.List}.
     */
    record ListCommand(String reference, List<String> patterns, Set<String> selectOptions,
                       Set<String> returnOptions, List<String> statusItems, boolean extended) implements ImapCommand {
        @Override public String name() { return "LIST"; }
    }
    record Lsub(String reference, String pattern) implements ImapCommand {}
    record Namespace() implements ImapCommand {}
    record Status(String mailbox, List<String> items) implements ImapCommand {}
    record AppendMessage(List<String> flags, OffsetDateTime internalDate, Literal message) {}
    record Append(String mailbox, List<AppendMessage> messages) implements ImapCommand {}
    record Idle() implements ImapCommand {}
    record Check() implements ImapCommand {}
    record Close() implements ImapCommand {}
    record Unselect() implements ImapCommand {}
    /** EXPUNGE, or UID EXPUNGE (RFC 4315) when {@code uids} is not null. */
    record Expunge(SequenceSet uids) implements ImapCommand {}
    /** ESEARCH RETURN options (RFC 4731, RFC 5182); empty for a plain SEARCH. */
    record Search(boolean uid, String charset, Set<String> returnOptions, boolean esearch, SearchKey key) implements ImapCommand {}
    record Fetch(boolean uid, SequenceSet set, List<FetchItem> items, long changedSince, boolean vanished) implements ImapCommand {}
    enum StoreOp { ADD, REMOVE, REPLACE }
    record Store(boolean uid, SequenceSet set, long unchangedSince, StoreOp op, boolean silent,
                 List<String> flags) implements ImapCommand {}
    record Copy(boolean uid, SequenceSet set, String mailbox) implements ImapCommand {}
    record Move(boolean uid, SequenceSet set, String mailbox) implements ImapCommand {}
    /** ID (RFC 2971): the client's fields, or empty for NIL. */
    record Id(List<String> fields) implements ImapCommand {}
    record Compress(String mechanism) implements ImapCommand {}
    record GetQuota(String root) implements ImapCommand {}
    record GetQuotaRoot(String mailbox) implements ImapCommand {}
    record SetQuota(String root, List<String> limits) implements ImapCommand {}
    record GetAcl(String mailbox) implements ImapCommand {}
    record SetAcl(String mailbox, String identifier, String rights) implements ImapCommand {}
    record DeleteAcl(String mailbox, String identifier) implements ImapCommand {}
    record ListRights(String mailbox, String identifier) implements ImapCommand {}
    record MyRights(String mailbox) implements ImapCommand {}
    /** SORT (RFC 5256): criteria as atoms (REVERSE folded in as "REVERSE X"). */
    record Sort(boolean uid, List<String> criteria, String charset, SearchKey key) implements ImapCommand {}
    /** THREAD (RFC 5256); named so as not to hide {@code java.lang.Thread}. */
    record ThreadCommand(boolean uid, String algorithm, String charset, SearchKey key) implements ImapCommand {
        @Override public String name() { return "THREAD"; }
    }
}
