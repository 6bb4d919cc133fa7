// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.time.LocalDate;
import java.util.List;

/** A search key of RFC 9051 §6.4.4 and its extensions (CONDSTORE MODSEQ, WITHIN, OBJECTID, SAVEDATE). */
public sealed interface SearchKey {
    record All() implements SearchKey {}
    /** A system flag (by bit of {@link dev.cairn.store.Flags}) or keyword, set or not set. */
    record Flag(int bit, String keyword, boolean set) implements SearchKey {}
    record Recent(boolean set) implements SearchKey {}
    record New() implements SearchKey {}
    record Header(String field, String value) implements SearchKey {}
    record Body(String text) implements SearchKey {}
    record Text(String text) implements SearchKey {}
    enum DateOp { BEFORE, ON, SINCE }
    record InternalDate(DateOp op, LocalDate date) implements SearchKey {}
    record SentDate(DateOp op, LocalDate date) implements SearchKey {}
    record SaveDate(DateOp op, LocalDate date) implements SearchKey {}
    record SaveDateSupported() implements SearchKey {}
    record Size(boolean larger, long size) implements SearchKey {}
    record Uid(SequenceSet set) implements SearchKey {}
    record Sequence(SequenceSet set) implements SearchKey {}
    record Not(SearchKey key) implements SearchKey {}
    record Or(SearchKey a, SearchKey b) implements SearchKey {}
    record And(List<SearchKey> keys) implements SearchKey {}
    record ModSeq(long modSeq) implements SearchKey {}
    /** WITHIN (RFC 5032): OLDER or YOUNGER than this many seconds. */
    record Age(boolean older, long seconds) implements SearchKey {}
    record EmailId(String id) implements SearchKey {}
    record ThreadId(String id) implements SearchKey {}
}
