// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.util.List;

/** What the store's write operations answer with; each is durable when returned. */
public final class Results {
    private Results() {}

    /** APPEND: the UIDs given, in the order of the messages (APPENDUID, RFC 4315). */
    public record AppendResult(MailboxId mailbox, long uidValidity, List<Uid> uids, ModSeq modSeq) {}

    /** COPY or MOVE: source UIDs and the destination UIDs they became, pairwise (COPYUID, RFC 4315). */
    public record CopyResult(MailboxId destination, long uidValidity, List<Uid> sourceUids, List<Uid> destinationUids,
                             ModSeq modSeq) {}

    /**
     * STORE: the messages whose flags changed (or were touched: the RFC 7162 §3.2 rule that a STORE
     * with UNCHANGEDSINCE reports every message it matched), the UIDs that failed the
     * UNCHANGEDSINCE test ([MODIFIED]), and the MODSEQ of the change: that of every message it
     * changed, 0 when it changed none.
     */
    public record StoreFlagsResult(List<FlagUpdate> updated, List<Uid> modified, long modSeq) {}

    /** EXPUNGE: the UIDs removed and the MODSEQ of the change (VANISHED/tombstones). */
    public record ExpungeResult(List<Uid> expunged, ModSeq modSeq) {}

    public record FlagUpdate(Uid uid, ModSeq modSeq, Flags flags) {}

    /** An expunged message remembered for QRESYNC VANISHED (RFC 7162 §3.2.5) and replicas. */
    public record Tombstone(Uid uid, ModSeq modSeq) {}

    /** One ACL entry (RFC 4314): identifier (user name, "anyone", or "-name" negative) and rights letters. */
    public record AclEntry(String identifier, String rights) {}

    public enum FlagOp { ADD, REMOVE, REPLACE }
}
