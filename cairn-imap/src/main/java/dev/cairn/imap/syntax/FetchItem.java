// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

/** One data item of FETCH (RFC 9051 §6.4.5, RFC 7162, RFC 3516, RFC 8474, RFC 8514). */
public sealed interface FetchItem {
    record Flags() implements FetchItem {}
    record InternalDate() implements FetchItem {}
    record Rfc822Size() implements FetchItem {}
    record Envelope() implements FetchItem {}
    /** BODY (non-extensible BODYSTRUCTURE) or BODYSTRUCTURE. */
    record Structure(boolean extensible) implements FetchItem {}
    record Uid() implements FetchItem {}
    record ModSeq() implements FetchItem {}
    /** RFC822, RFC822.HEADER, RFC822.TEXT (rev1 only): like BODY[], BODY.PEEK[HEADER], BODY[TEXT]. */
    record Rfc822(Section.Kind kind) implements FetchItem {}
    /** BODY[section]<partial> and BODY.PEEK; partial offset -1 when absent. */
    record Body(Section section, boolean peek, long offset, long length) implements FetchItem {}
    /** BINARY[part]<partial> and BINARY.PEEK (RFC 3516). */
    record Binary(int[] part, boolean peek, long offset, long length) implements FetchItem {}
    record BinarySize(int[] part) implements FetchItem {}
    record EmailId() implements FetchItem {}
    record ThreadId() implements FetchItem {}
    record SaveDate() implements FetchItem {}
}
