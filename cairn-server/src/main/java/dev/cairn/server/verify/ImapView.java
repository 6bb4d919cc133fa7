// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.verify;

import dev.cairn.imap.client.ImapResponse;
import dev.cairn.imap.client.ImapResponse.Value;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What an IMAP client sees of one user on one node, read over a verification login: the
 * folder list (name, delimiter, attributes incl. special-use), the subscriptions, per folder the
 * STATUS items and the ACL, and per UID the flags, MODSEQ, size and body hash.
 *
 * @param folders LIST: name to "(attributes) delimiter"
 * @param subscriptions LSUB: name to "(attributes) delimiter"
 * @param mailboxes per selectable folder, what it holds
 */
record ImapView(SortedMap<String, String> folders, SortedMap<String, String> subscriptions,
                SortedMap<String, Mailbox> mailboxes) {

    /** STATUS items as the server gave them, the ACL (GETACL, RFC 4314) sorted, and the messages by UID. */
    record Mailbox(Map<String, String> status, String acl, SortedMap<Long, Message> messages) {}

    /** Flags sorted (\Recent left out: it belongs to a session, not to the message). */
    record Message(String flags, String modSeq, String size, String sha256) {}

    static final List<String> STATUS_ITEMS = List.of("MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ");

    /** Reads everything over a logged-in connection; read-only (EXAMINE, BODY.PEEK). */
    static ImapView read(VerifyConnection c) throws IOException {
        c.command("ENABLE CONDSTORE");
        SortedMap<String, String> folders = names(c.command("LIST \"\" \"*\""), "LIST");
        SortedMap<String, String> subscriptions = names(c.command("LSUB \"\" \"*\""), "LSUB");
        SortedMap<String, Mailbox> mailboxes = new TreeMap<>();
        for (Map.Entry<String, String> f : folders.entrySet()) {
            String attributes = f.getValue().toUpperCase(Locale.ROOT);
            if (attributes.contains("\\NOSELECT") || attributes.contains("\\NONEXISTENT")) continue;
            mailboxes.put(f.getKey(), mailbox(c, f.getKey()));
        }
        return new ImapView(folders, subscriptions, mailboxes);
    }

    private static SortedMap<String, String> names(List<ImapResponse> responses, String keyword) throws IOException {
        SortedMap<String, String> names = new TreeMap<>();
        for (ImapResponse r : responses) {
            if (!(r instanceof ImapResponse.Data d) || !d.keyword().equals(keyword) || d.values().size() != 3) continue;
            if (!(d.values().get(0) instanceof Value.Parens(List<Value> attributes))) {
                throw new VerifyConnection.ImapException(keyword + " without attributes: " + r);
            }
            TreeSet<String> sorted = new TreeSet<>();
            for (Value a : attributes) sorted.add(render(a));
            names.put(text(d.values().get(2)), "(" + String.join(" ", sorted) + ") " + render(d.values().get(1)));
        }
        return names;
    }

    private static Mailbox mailbox(VerifyConnection c, String name) throws IOException {
        Map<String, String> status = new LinkedHashMap<>();
        for (ImapResponse r : c.command("STATUS " + VerifyConnection.quote(name) + " (" + String.join(" ", STATUS_ITEMS) + ")")) {
            if (r instanceof ImapResponse.Data d && d.keyword().equals("STATUS") && d.values().size() == 2
                    && d.values().get(1) instanceof Value.Parens(List<Value> items)) {
                for (int i = 0; i + 1 < items.size(); i += 2) status.put(render(items.get(i)).toUpperCase(Locale.ROOT), render(items.get(i + 1)));
            }
        }
        TreeSet<String> acl = new TreeSet<>();
        for (ImapResponse r : c.command("GETACL " + VerifyConnection.quote(name))) {
            if (!(r instanceof ImapResponse.Data d) || !d.keyword().equals("ACL")) continue;
            List<Value> v = d.values();
            for (int i = 1; i + 1 < v.size(); i += 2) acl.add(text(v.get(i)) + " " + text(v.get(i + 1)));
        }
        SortedMap<Long, Message> messages = new TreeMap<>();
        if (!"0".equals(status.get("MESSAGES"))) {
            c.command("EXAMINE " + VerifyConnection.quote(name));
            for (ImapResponse r : c.command("UID FETCH 1:* (UID FLAGS MODSEQ RFC822.SIZE BODY.PEEK[])")) {
                if (!(r instanceof ImapResponse.Fetch f)) continue;
                if (f.bodySha256() == null || f.uid() == null) {
                    throw new VerifyConnection.ImapException("FETCH without UID or BODY[]: " + r);
                }
                TreeSet<String> flags = new TreeSet<>();
                if (f.flags() != null) for (String flag : f.flags()) if (!flag.equalsIgnoreCase("\\Recent")) flags.add(flag);
                Value m = f.other().get("MODSEQ");
                String modSeq = m instanceof Value.Parens(List<Value> p) && p.size() == 1 ? render(p.getFirst()) : m == null ? "null" : render(m);
                messages.put(f.uid(), new Message("(" + String.join(" ", flags) + ")", modSeq, String.valueOf(f.size()), f.bodySha256()));
            }
            c.command("UNSELECT");
        }
        return new Mailbox(status, String.join(", ", acl), messages);
    }

    /** A value as the server wrote it (strings quoted), for comparing and printing. */
    private static String render(Value value) {
        return switch (value) {
            case Value.Atom(String text) -> text;
            case Value.Str s -> '"' + s.text() + '"';
            case Value.Nil() -> "NIL";
            case Value.Parens(List<Value> items) -> {
                List<String> inner = new ArrayList<>();
                for (Value v : items) inner.add(render(v));
                yield "(" + String.join(" ", inner) + ")";
            }
        };
    }

    /** A name's text: a string's content, an atom as written. */
    private static String text(Value value) {
        return value instanceof Value.Str s ? s.text() : render(value);
    }

    int messageCount() {
        int n = 0;
        for (Mailbox m : mailboxes.values()) n += m.messages().size();
        return n;
    }

    /**
     * Every way two views differ, one line each: "folder, uid, field: a-name has X, b-name has Y".
     * Empty when a client could not tell the nodes apart.
     */
    static List<String> differences(ImapView a, String aName, ImapView b, String bName) {
        List<String> out = new ArrayList<>();
        compareMaps(out, "LIST", a.folders, b.folders, aName, bName);
        compareMaps(out, "LSUB", a.subscriptions, b.subscriptions, aName, bName);
        for (String folder : union(a.mailboxes.keySet(), b.mailboxes.keySet())) {
            Mailbox x = a.mailboxes.get(folder), y = b.mailboxes.get(folder);
            if (x == null || y == null) continue; // LIST already says so
            String where = "folder " + VerifyConnection.quote(folder);
            for (String item : STATUS_ITEMS) {
                String vx = x.status.get(item), vy = y.status.get(item);
                if (!java.util.Objects.equals(vx, vy)) out.add(where + ", STATUS " + item + ": " + has(aName, vx) + ", " + has(bName, vy));
            }
            if (!x.acl.equals(y.acl)) out.add(where + ", ACL: " + has(aName, "(" + x.acl + ")") + ", " + has(bName, "(" + y.acl + ")"));
            for (Long uid : union(x.messages.keySet(), y.messages.keySet())) {
                Message mx = x.messages.get(uid), my = y.messages.get(uid);
                String at = where + ", uid " + uid;
                if (mx == null || my == null) {
                    out.add(at + ": " + (mx == null ? aName + " has no such message, " + bName + " has it"
                            : aName + " has it, " + bName + " has no such message"));
                    continue;
                }
                field(out, at, "FLAGS", mx.flags(), my.flags(), aName, bName);
                field(out, at, "MODSEQ", mx.modSeq(), my.modSeq(), aName, bName);
                field(out, at, "RFC822.SIZE", mx.size(), my.size(), aName, bName);
                field(out, at, "BODY[] SHA-256", mx.sha256(), my.sha256(), aName, bName);
            }
        }
        return out;
    }

    private static void compareMaps(List<String> out, String what, SortedMap<String, String> x, SortedMap<String, String> y,
                                    String aName, String bName) {
        for (String name : union(x.keySet(), y.keySet())) {
            String vx = x.get(name), vy = y.get(name);
            if (!java.util.Objects.equals(vx, vy)) {
                out.add(what + " " + VerifyConnection.quote(name) + ": " + has(aName, vx) + ", " + has(bName, vy));
            }
        }
    }

    private static void field(List<String> out, String at, String name, String x, String y, String aName, String bName) {
        if (!x.equals(y)) out.add(at + ", " + name + ": " + has(aName, x) + ", " + has(bName, y));
    }

    private static String has(String node, String value) {
        return value == null ? node + " has nothing" : node + " has " + value;
    }

    private static <T extends Comparable<T>> TreeSet<T> union(java.util.Set<T> x, java.util.Set<T> y) {
        TreeSet<T> all = new TreeSet<>(x);
        all.addAll(y);
        return all;
    }
}
