// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.ImapSession.State;
import dev.cairn.imap.syntax.ImapCommand.*;
import dev.cairn.imap.syntax.ImapCommand;
import dev.cairn.imap.syntax.SearchKey;

/**
 * The rule tables of the dispatch, one exhaustive switch each: which command runs in which state
 * (RFC 9051 §3), which ones change stored data, and where expunges may be reported (RFC 9051
 * §7.5.1).
 */
final class CommandRules {

    private CommandRules() {}

    static boolean allowed(ImapCommand command, State state) {
        return switch (command) {
            case Capability c -> true;
            case Noop c -> true;
            case Logout c -> true;
            case Id c -> true;
            case StartTls c -> state == State.NOT_AUTHENTICATED;
            case Authenticate c -> state == State.NOT_AUTHENTICATED;
            case Login c -> state == State.NOT_AUTHENTICATED;
            case Enable c -> state == State.AUTHENTICATED || state == State.SELECTED;
            case Select c -> authenticated(state);
            case Examine c -> authenticated(state);
            case Create c -> authenticated(state);
            case Delete c -> authenticated(state);
            case Rename c -> authenticated(state);
            case Subscribe c -> authenticated(state);
            case Unsubscribe c -> authenticated(state);
            case ListCommand c -> authenticated(state);
            case Lsub c -> authenticated(state);
            case Namespace c -> authenticated(state);
            case Status c -> authenticated(state);
            case Append c -> authenticated(state);
            case Idle c -> authenticated(state);
            case Compress c -> authenticated(state);
            case GetQuota c -> authenticated(state);
            case GetQuotaRoot c -> authenticated(state);
            case SetQuota c -> authenticated(state);
            case GetAcl c -> authenticated(state);
            case SetAcl c -> authenticated(state);
            case DeleteAcl c -> authenticated(state);
            case ListRights c -> authenticated(state);
            case MyRights c -> authenticated(state);
            case Check c -> state == State.SELECTED;
            case Close c -> state == State.SELECTED;
            case Unselect c -> state == State.SELECTED;
            case Expunge c -> state == State.SELECTED;
            case Search c -> state == State.SELECTED;
            case Fetch c -> state == State.SELECTED;
            case Store c -> state == State.SELECTED;
            case Copy c -> state == State.SELECTED;
            case Move c -> state == State.SELECTED;
            case Sort c -> state == State.SELECTED;
            case ThreadCommand c -> state == State.SELECTED;
        };
    }

    static boolean authenticated(State s) { return s == State.AUTHENTICATED || s == State.SELECTED; }

    /**
     * The commands that change stored data: refused in a verification session. SELECT is not
     * here (it becomes EXAMINE there), nor CLOSE (it expunges only a read-write selection).
     */
    static boolean writes(ImapCommand command) {
        return switch (command) {
            case Create c -> true;
            case Delete c -> true;
            case Rename c -> true;
            case Subscribe c -> true;
            case Unsubscribe c -> true;
            case Append c -> true;
            case SetQuota c -> true;
            case SetAcl c -> true;
            case DeleteAcl c -> true;
            case Expunge c -> true;
            case Store c -> true;
            case Copy c -> true;
            case Move c -> true;
            case Capability c -> false;
            case Noop c -> false;
            case Logout c -> false;
            case Id c -> false;
            case StartTls c -> false;
            case Authenticate c -> false;
            case Login c -> false;
            case Enable c -> false;
            case Select c -> false;
            case Examine c -> false;
            case ListCommand c -> false;
            case Lsub c -> false;
            case Namespace c -> false;
            case Status c -> false;
            case Idle c -> false;
            case Compress c -> false;
            case GetQuota c -> false;
            case GetQuotaRoot c -> false;
            case GetAcl c -> false;
            case ListRights c -> false;
            case MyRights c -> false;
            case Check c -> false;
            case Close c -> false;
            case Unselect c -> false;
            case Search c -> false;
            case Fetch c -> false;
            case Sort c -> false;
            case ThreadCommand c -> false;
        };
    }

    static String wrongStateText(ImapCommand command, State state) {
        return switch (state) {
            case NOT_AUTHENTICATED -> "Log in first";
            case AUTHENTICATED -> allowed(command, State.SELECTED) ? "No mailbox selected" : "Already logged in";
            case SELECTED -> "Already logged in";
            case LOGOUT -> "Logging out";
        };
    }

    /** RFC 9051 §7.5.1: no EXPUNGE while answering FETCH, STORE or SEARCH (the UID forms may). */
    static boolean expungeAllowed(ImapCommand command) {
        return switch (command) {
            case Fetch f -> f.uid();
            case Store s -> s.uid();
            // RFC 7162 §3.2.10.2: nor during a UID SEARCH that names message numbers
            case Search s -> s.uid() && !mentions(s.key(), SearchKey.Sequence.class);
            case Sort s -> s.uid();
            case ThreadCommand t -> t.uid();
            default -> true;
        };
    }

    /** Whether a search key holds a key of this kind anywhere (walked without recursion: keys come from the wire). */
    static boolean mentions(SearchKey key, Class<? extends SearchKey> kind) {
        java.util.ArrayDeque<SearchKey> todo = new java.util.ArrayDeque<>();
        todo.push(key);
        while (!todo.isEmpty()) {
            SearchKey k = todo.pop();
            if (kind.isInstance(k)) return true;
            switch (k) {
                case SearchKey.Not n -> todo.push(n.key());
                case SearchKey.Or o -> {
                    todo.push(o.a());
                    todo.push(o.b());
                }
                case SearchKey.And a -> a.keys().forEach(todo::push);
                default -> { }
            }
        }
        return false;
    }
}
