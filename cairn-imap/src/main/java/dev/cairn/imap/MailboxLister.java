// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

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
import java.util.regex.Pattern;

/**
 * LIST and LSUB (RFC 9051 §6.3.9) with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819),
 * SPECIAL-USE (RFC 6154) and CHILDREN (RFC 3348). One namespace, separator '/'.
 */
final class MailboxLister {
    @FunctionalInterface
    interface StatusWriter {
        void write(MailboxInfo info, List<String> items) throws IOException;
    }

    private final UserStore store;
    private final ResponseWriter out;
    private final StatusWriter status;

    MailboxLister(UserStore store, ResponseWriter out, StatusWriter status) {
        this.store = store;
        this.out = out;
        this.status = status;
    }

    Result list(ImapCommand.List c) throws IOException {
        for (String o : c.selectOptions()) {
            if (!Set.of("SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE").contains(o)) return Result.bad("Unknown LIST selection option " + o);
        }
        for (String o : c.returnOptions()) {
            if (!Set.of("SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS").contains(o)) return Result.bad("Unknown LIST return option " + o);
        }
        // RFC 5258 §3.1: RECURSIVEMATCH "MUST NOT occur as the only selection option (or only with REMOTE)"
        boolean recursive = c.selectOptions().contains("RECURSIVEMATCH");
        if (recursive && c.selectOptions().stream().allMatch(o -> o.equals("RECURSIVEMATCH") || o.equals("REMOTE"))) {
            return Result.bad("RECURSIVEMATCH needs another selection option");
        }
        if (c.patterns().size() == 1 && c.patterns().get(0).isEmpty() && !c.extended()) {
            out.line("* LIST (\\Noselect) \"/\" \"\"");
            return Result.ok("LIST completed");
        }
        boolean subscribedOnly = c.selectOptions().contains("SUBSCRIBED");
        boolean specialOnly = c.selectOptions().contains("SPECIAL-USE");
        boolean showSubscribed = subscribedOnly || c.returnOptions().contains("SUBSCRIBED");
        TreeMap<String, MailboxInfo> byName = new TreeMap<>();
        for (MailboxInfo m : store.mailboxes()) byName.put(m.name(), m);
        java.util.NavigableSet<String> names = byName.navigableKeySet();
        Set<String> subscriptions = showSubscribed ? store.subscriptions() : Set.of();
        Set<String> candidates = new TreeSet<>(byName.keySet());
        if (subscribedOnly) candidates = new TreeSet<>(subscriptions);
        List<Pattern> patterns = new ArrayList<>();
        for (String p : c.patterns()) patterns.add(compile(c.reference(), p));
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
            out.raw("* LIST (" + String.join(" ", attrs) + ") \"/\" ").mailbox(name);
            if (withChildInfo.contains(name)) out.raw(" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
            out.crlf();
            if (c.returnOptions().contains("STATUS") && info != null) status.write(info, c.statusItems());
        }
        return Result.ok("LIST completed");
    }

    /** Whether a name passes the SPECIAL-USE selection option (RFC 6154 §3), if it was given. */
    private static boolean selectable(String name, TreeMap<String, MailboxInfo> byName, boolean specialOnly) {
        if (!specialOnly) return true;
        MailboxInfo info = byName.get(name);
        return info != null && !info.specialUse().isEmpty();
    }

    private static boolean matchesAny(List<Pattern> patterns, String name) {
        return patterns.stream().anyMatch(p -> p.matcher(name).matches());
    }

    /**
     * LSUB (RFC 3501 §6.3.9). When a subscribed name does not match because a '%' stops at its
     * hierarchy separator, its unsubscribed ancestor that does match is listed with \Noselect:
     * "foo/bar" subscribed, "foo" not, LSUB "" "%" returns "foo" with \Noselect.
     */
    Result lsub(ImapCommand.Lsub c) throws IOException {
        Set<String> existing = new TreeSet<>();
        for (MailboxInfo m : store.mailboxes()) existing.add(m.name());
        Pattern p = compile(c.reference(), c.pattern());
        Set<String> subscriptions = new TreeSet<>(store.subscriptions());
        TreeMap<String, String> answers = new TreeMap<>();
        for (String name : subscriptions) {
            if (p.matcher(name).matches()) {
                answers.put(name, existing.contains(name) ? "" : "\\Noselect");
                continue;
            }
            for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
                String ancestor = name.substring(0, slash);
                if (!subscriptions.contains(ancestor) && p.matcher(ancestor).matches()) answers.put(ancestor, "\\Noselect");
            }
        }
        for (var answer : answers.entrySet()) out.raw("* LSUB (" + answer.getValue() + ") \"/\" ").mailbox(answer.getKey()).crlf();
        return Result.ok("LSUB completed");
    }

    /** Names are sorted, so a child, if any, is the first name at or after "name/". */
    private static boolean hasChildren(String name, java.util.NavigableSet<String> all) {
        String prefix = name + "/";
        String next = all.ceiling(prefix);
        return next != null && next.startsWith(prefix);
    }

    /** The reference and pattern as a regex: '*' matches anything, '%' anything but '/'; INBOX in any case. */
    static Pattern compile(String reference, String pattern) {
        String full = reference + pattern;
        if (full.length() >= 5 && full.regionMatches(true, 0, "INBOX", 0, 5) && (full.length() == 5 || full.charAt(5) == '/')) {
            full = "INBOX" + full.substring(5);
        }
        StringBuilder re = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < full.length(); i++) {
            char ch = full.charAt(i);
            if (ch == '*' || ch == '%') {
                if (literal.length() > 0) re.append(Pattern.quote(literal.toString()));
                literal.setLength(0);
                re.append(ch == '*' ? ".*" : "[^/]*");
            } else {
                literal.append(ch);
            }
        }
        if (literal.length() > 0) re.append(Pattern.quote(literal.toString()));
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
