// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.ImapSession.Result;
import dev.cairn.imap.syntax.ImapCommand.*;
import dev.cairn.imap.syntax.SearchKey;
import dev.cairn.imap.syntax.SequenceSet;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.Uid;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;

/**
 * SEARCH (with ESEARCH, RFC 4731, and SEARCHRES, RFC 5182), SORT and THREAD (RFC 5256): the
 * session's side of them; the matching and ordering run in {@link Searcher}, off the carriers.
 */
final class SearchCommands {

    private final ImapSession s;

    SearchCommands(ImapSession s) {
        this.s = s;
    }

    Result search(String tag, Search c) throws IOException, InterruptedException {
        if (c.charset() != null && !supportedCharset(c.charset())) {
            return Result.no("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset");
        }
        if (CommandRules.mentions(c.key(), SearchKey.ModSeq.class)) s.reporter.enableCondStore();
        SelectedMailbox sm = s.selected;
        long[] saved = s.savedSearch;
        Searcher.Outcome r = s.heavy(b -> new Searcher(s.store, b).search(sm, c.key(), saved));
        boolean esearch = c.esearch() || s.rev2;
        Set<String> ret = c.returnOptions().isEmpty() ? Set.of("ALL") : c.returnOptions();
        if (ret.contains("SAVE")) s.savedSearch = r.uids();
        long[] numbers = c.uid() ? r.uids() : Arrays.stream(r.uids()).map(u -> s.selected.msnOf(u)).filter(m -> m > 0).sorted().toArray();
        if (!esearch) {
            StringBuilder sb = new StringBuilder("* SEARCH");
            for (long n : numbers) sb.append(' ').append(n);
            if (r.usedModSeq() && numbers.length > 0) sb.append(" (MODSEQ ").append(r.highestModSeq()).append(')');
            s.out.line(sb.toString());
        } else if (!(ret.size() == 1 && ret.contains("SAVE"))) {
            StringBuilder sb = new StringBuilder("* ESEARCH (TAG ");
            s.out.raw(sb.toString()).string(tag).raw(")");
            sb.setLength(0);
            if (c.uid()) sb.append(" UID");
            if (numbers.length > 0) {
                if (ret.contains("MIN")) sb.append(" MIN ").append(numbers[0]);
                if (ret.contains("MAX")) sb.append(" MAX ").append(numbers[numbers.length - 1]);
                if (ret.contains("ALL")) sb.append(" ALL ").append(SequenceSet.ofNumbers(numbers));
            }
            if (ret.contains("COUNT")) sb.append(" COUNT ").append(numbers.length);
            if (r.usedModSeq() && numbers.length > 0) sb.append(" MODSEQ ").append(esearchModSeq(ret, r));
            s.out.line(sb.toString());
        }
        return Result.ok("SEARCH completed");
    }

    /**
     * RFC 4731 §3.2: with MIN and/or MAX alone the MODSEQ is that of the message(s) they return
     * (the higher of the two); with ALL or COUNT, the highest of every match.
     */
    private long esearchModSeq(Set<String> ret, Searcher.Outcome r) {
        if (ret.contains("ALL") || ret.contains("COUNT")) return r.highestModSeq();
        long[] uids = r.uids();
        long min = Arrays.stream(uids).min().orElseThrow(), max = Arrays.stream(uids).max().orElseThrow();
        // the view the Searcher just matched in; a change since can only raise a MODSEQ
        MailboxSnapshot snap = s.selected.view.snapshot();
        long modSeq = 0;
        for (long u : ret.contains("MIN") && ret.contains("MAX") ? new long[] {min, max} : ret.contains("MIN") ? new long[] {min} : new long[] {max}) {
            int i = snap.indexOf(Uid.of(u));
            if (i >= 0) modSeq = Math.max(modSeq, snap.modSeq(i).value());
        }
        return modSeq > 0 ? modSeq : r.highestModSeq();
    }

    private static boolean supportedCharset(String name) {
        try {
            return java.nio.charset.Charset.isSupported(name);
        } catch (RuntimeException illegalName) {
            return false;
        }
    }

    private Result sortOrThread(String charset, HeavyCommands.Work<String> computation, String name)
            throws IOException, InterruptedException {
        if (!supportedCharset(charset)) return Result.no("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset");
        String answer;
        try {
            answer = s.heavy(computation);
        } catch (IllegalArgumentException e) {
            return Result.bad(e.getMessage());
        }
        s.out.line("* " + name + answer);
        return Result.ok(name + " completed");
    }

    Result sort(Sort c) throws IOException, InterruptedException {
        SelectedMailbox sm = s.selected;
        long[] saved = s.savedSearch;
        return sortOrThread(c.charset(), b -> new Searcher(s.store, b).sort(sm, c, saved), "SORT");
    }

    Result thread(ThreadCommand c) throws IOException, InterruptedException {
        if (!c.algorithm().equals("ORDEREDSUBJECT") && !c.algorithm().equals("REFERENCES")) {
            return Result.bad("Unknown threading algorithm " + c.algorithm());
        }
        SelectedMailbox sm = s.selected;
        long[] saved = s.savedSearch;
        return sortOrThread(c.charset(), b -> new Searcher(s.store, b).thread(sm, c, saved), "THREAD");
    }
}
