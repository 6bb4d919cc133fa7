// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.HeavyCommands.Budget;
import dev.cairn.imap.ImapSession.Result;
import dev.cairn.imap.syntax.ImapCommand;
import dev.cairn.imap.syntax.ResponseWriter;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.UserStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * LIST and LSUB (RFC 9051 §6.3.9) with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819),
 * SPECIAL-USE (RFC 6154) and CHILDREN (RFC 3348). One namespace, separator '/'. What to answer
 * is found first ({@link #list}, {@link #lsub}: the matching, on a heavy-work thread), then
 * written ({@link #write}, by the session).
 */
final class MailboxLister {
    @FunctionalInterface
    interface StatusWriter {
        void write(MailboxInfo info, List<String> items) throws IOException;
    }

    /**
     * One response line: its attributes, the name, whether it carries CHILDINFO (RFC 5258 §3.5),
     * and the mailbox whose STATUS follows it (or null).
     */
    record Entry(List<String> attributes, String name, boolean childInfo, MailboxInfo status) {}

    /** What a LIST or LSUB answers: a refusal, or its lines. */
    record Listing(Result refused, String command, List<Entry> entries, List<String> statusItems) {
        static Listing refused(Result r) { return new Listing(r, null, List.of(), List.of()); }
    }

    private final UserStore store;
    private final Budget budget;

    MailboxLister(UserStore store, Budget budget) {
        this.store = store;
        this.budget = budget;
    }

    Listing list(ImapCommand.ListCommand c) {
        for (String o : c.selectOptions()) {
            if (!Set.of("SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE").contains(o)) return Listing.refused(Result.bad("Unknown LIST selection option " + o));
        }
        for (String o : c.returnOptions()) {
            if (!Set.of("SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS").contains(o)) return Listing.refused(Result.bad("Unknown LIST return option " + o));
        }
        // RFC 5258 §3.1: RECURSIVEMATCH "MUST NOT occur as the only selection option (or only with REMOTE)"
        boolean recursive = c.selectOptions().contains("RECURSIVEMATCH");
        if (recursive && c.selectOptions().stream().allMatch(o -> o.equals("RECURSIVEMATCH") || o.equals("REMOTE"))) {
            return Listing.refused(Result.bad("RECURSIVEMATCH needs another selection option"));
        }
        if (c.patterns().size() == 1 && c.patterns().get(0).isEmpty() && !c.extended()) {
            return new Listing(null, "LIST", List.of(new Entry(List.of("\\Noselect"), "", false, null)), List.of());
        }
        boolean subscribedOnly = c.selectOptions().contains("SUBSCRIBED");
        boolean specialOnly = c.selectOptions().contains("SPECIAL-USE");
        boolean showSubscribed = subscribedOnly || c.returnOptions().contains("SUBSCRIBED");
        boolean withStatus = c.returnOptions().contains("STATUS");
        TreeMap<String, MailboxInfo> byName = new TreeMap<>();
        for (MailboxInfo m : store.mailboxes()) byName.put(m.name(), m);
        java.util.NavigableSet<String> names = byName.navigableKeySet();
        Set<String> subscriptions = showSubscribed ? store.subscriptions() : Set.of();
        Set<String> candidates = new TreeSet<>(byName.keySet());
        if (subscribedOnly) candidates = new TreeSet<>(subscriptions);
        List<MailboxPattern> patterns = new ArrayList<>();
        for (String p : c.patterns()) patterns.add(MailboxPattern.of(c.reference(), p));
        // RFC 5258 §3.5 RECURSIVEMATCH: a name that matches a pattern but not the selection is
        // still listed, with CHILDINFO, when a descendant that matches no pattern does match the selection.
        Set<String> withChildInfo = new TreeSet<>();
        if (recursive) {
            for (String selected : candidates) {
                if (!selectable(selected, byName, specialOnly) || matchesAny(patterns, selected)) continue;
                for (int slash = selected.indexOf('/'); slash > 0; slash = selected.indexOf('/', slash + 1)) {
                    String ancestor = selected.substring(0, slash);
                    if (matchesAny(patterns, ancestor)) withChildInfo.add(ancestor);
                }
            }
            candidates.addAll(withChildInfo);
        }
        List<Entry> entries = new ArrayList<>();
        for (String name : candidates) {
            if (!matchesAny(patterns, name)) continue;
            MailboxInfo info = byName.get(name);
            boolean selected = (!subscribedOnly || subscriptions.contains(name)) && selectable(name, byName, specialOnly);
            if (!selected && !withChildInfo.contains(name)) continue;
            List<String> attrs = new ArrayList<>();
            if (info == null) attrs.add("\\NonExistent");
            else attrs.add(hasChildren(name, names) ? "\\HasChildren" : "\\HasNoChildren");
            if (showSubscribed && subscriptions.contains(name)) attrs.add("\\Subscribed");
            if (info != null) for (SpecialUse u : info.specialUse()) attrs.add(u.attribute());
            entries.add(new Entry(attrs, name, withChildInfo.contains(name), withStatus ? info : null));
        }
        return new Listing(null, "LIST", entries, c.statusItems());
    }

    /** Whether a name passes the SPECIAL-USE selection option (RFC 6154 §3), if it was given. */
    private static boolean selectable(String name, TreeMap<String, MailboxInfo> byName, boolean specialOnly) {
        if (!specialOnly) return true;
        MailboxInfo info = byName.get(name);
        return info != null && !info.specialUse().isEmpty();
    }

    /**
     * LSUB (RFC 3501 §6.3.9). When a subscribed name does not match because a '%' stops at its
     * hierarchy separator, its unsubscribed ancestor that does match is listed with \Noselect:
     * "foo/bar" subscribed, "foo" not, LSUB "" "%" returns "foo" with \Noselect.
     */
    Listing lsub(ImapCommand.Lsub c) {
        Set<String> existing = new TreeSet<>();
        for (MailboxInfo m : store.mailboxes()) existing.add(m.name());
        List<MailboxPattern> pattern = List.of(MailboxPattern.of(c.reference(), c.pattern()));
        Set<String> subscriptions = new TreeSet<>(store.subscriptions());
        TreeMap<String, List<String>> answers = new TreeMap<>();
        for (String name : subscriptions) {
            if (matchesAny(pattern, name)) {
                answers.put(name, existing.contains(name) ? List.of() : List.of("\\Noselect"));
                continue;
            }
            for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
                String ancestor = name.substring(0, slash);
                if (!subscriptions.contains(ancestor) && matchesAny(pattern, ancestor)) answers.put(ancestor, List.of("\\Noselect"));
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (var answer : answers.entrySet()) entries.add(new Entry(answer.getValue(), answer.getKey(), false, null));
        return new Listing(null, "LSUB", entries, List.of());
    }

    private boolean matchesAny(List<MailboxPattern> patterns, String name) {
        for (MailboxPattern p : patterns) {
            budget.check();
            if (p.matches(name)) return true;
        }
        return false;
    }

    static Result write(Listing listing, ResponseWriter out, StatusWriter status) throws IOException {
        if (listing.refused() != null) return listing.refused();
        for (Entry e : listing.entries()) {
            out.raw("* " + listing.command() + " (" + String.join(" ", e.attributes()) + ") \"/\" ").mailbox(e.name());
            if (e.childInfo()) out.raw(" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
            out.crlf();
            if (e.status() != null) status.write(e.status(), listing.statusItems());
        }
        return Result.ok(listing.command() + " completed");
    }

    /** Names are sorted, so a child, if any, is the first name at or after "name/". */
    private static boolean hasChildren(String name, java.util.NavigableSet<String> all) {
        String prefix = name + "/";
        String next = all.ceiling(prefix);
        return next != null && next.startsWith(prefix);
    }
}
