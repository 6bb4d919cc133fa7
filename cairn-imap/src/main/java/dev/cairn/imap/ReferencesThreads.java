// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;

/**
 * The THREAD=REFERENCES algorithm, step by step as RFC 5256 §4 gives it. Pure: it sees only the
 * header fields it needs, so it is tested without a store.
 */
final class ReferencesThreads {
    /**
     * One message to thread.
     *
     * @param number     what the response shows for it (sequence number or UID)
     * @param msn        its sequence number: ties of sent date are broken by it (RFC 5256 §2.2)
     * @param references the Message-IDs of References, then those of In-Reply-To, as the store keeps them
     * @param sent       the sent date (the internal date when Date is missing or bad, RFC 5256 §2.2)
     */
    record Message(long number, int msn, String messageId, String inReplyTo, List<String> references,
                   String subject, Instant sent) {}

    /** A container (RFC 5256 §4 step 1): a message, or a dummy standing for one that is not here. */
    static final class Container {
        Message message;
        Container parent;
        final List<Container> children = new ArrayList<>();

        boolean isDummy() { return message == null; }

        boolean isAncestorOf(Container other) {
            for (Container n = other; n != null; n = n.parent) if (n == this) return true;
            return false;
        }

        /** A dummy sorts as its first child (steps 4 and 6): children are sorted before their parent's level. */
        Message sortKey() {
            if (message != null) return message;
            return children.isEmpty() ? null : children.getFirst().sortKey();
        }
    }

    private static final Comparator<Container> BY_SENT_DATE = Comparator.comparing(
            (Container c) -> c.sortKey(), Comparator.nullsLast(
                    Comparator.comparing(Message::sent).thenComparingInt(Message::msn)));

    private ReferencesThreads() {}

    /** The threads, rendered as in RFC 5256 §4 ("(2)(3 6 (4 23)(44 7 96))"), with a leading space, or "". */
    static String render(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        for (Container root : thread(messages)) {
            sb.append(sb.isEmpty() ? " (" : "(");
            write(root, sb);
            sb.append(')');
        }
        return sb.toString();
    }

    static List<Container> thread(List<Message> messages) {
        List<Message> bySequence = new ArrayList<>(messages);
        bySequence.sort(Comparator.comparingInt(Message::msn));
        List<Container> all = link(bySequence);
        // step 2: the root set is every container without a parent
        List<Container> roots = new ArrayList<>();
        for (Container c : all) if (c.parent == null) roots.add(c);
        roots = prune(roots);
        // step 4: top-level by sent date, a dummy by its first child once its children are sorted
        for (Container r : roots) if (r.isDummy()) r.children.sort(BY_SENT_DATE);
        roots.sort(BY_SENT_DATE);
        roots = gatherBySubject(roots);
        sortSiblings(roots);
        return roots;
    }

    /** Step 1: the id_table, parent/child links from each message's references, without loops. */
    private static List<Container> link(List<Message> bySequence) {
        Map<String, Container> idTable = new HashMap<>();
        List<Container> all = new ArrayList<>();
        for (Message m : bySequence) {
            // 1A: a message fills the dummy its id already has; a missing id or a duplicate of one
            // an earlier (lower-numbered) message holds gets a container of its own, outside the table
            String id = firstId(m.messageId());
            Container own = id == null ? null : idTable.get(id);
            if (own == null || !own.isDummy()) {
                own = new Container();
                all.add(own);
                if (id != null && !idTable.containsKey(id)) idTable.put(id, own);
            }
            own.message = m;
            // 1B: each reference is the parent of the next, unless the next has a parent already or
            // the link would make a loop
            Container previous = null;
            for (String ref : references(m)) {
                Container r = idTable.get(ref);
                if (r == null) {
                    r = new Container();
                    all.add(r);
                    idTable.put(ref, r);
                }
                if (previous != null && r.parent == null && r != previous && !r.isAncestorOf(previous)) adopt(previous, r);
                previous = r;
            }
            // 1C: the last reference is this message's parent; a parent it has from an earlier message's
            // (probably truncated) References is dropped first. Still no loops.
            if (own.parent != null) {
                own.parent.children.remove(own);
                own.parent = null;
            }
            if (previous != null && previous != own && !own.isAncestorOf(previous)) adopt(previous, own);
        }
        return all;
    }

    /**
     * The message's references: References when it has one, else the first id of In-Reply-To
     * (RFC 5256 §4 step 1). The store keeps References then In-Reply-To ids merged without repeats;
     * when that list is no more than In-Reply-To's ids there was no References field.
     */
    private static List<String> references(Message m) {
        List<String> refs = new ArrayList<>();
        if (m.references() != null) {
            for (String r : m.references()) {
                String id = firstId(r);
                if (id != null && !refs.contains(id)) refs.add(id);
            }
        }
        List<String> inReplyTo = ids(m.inReplyTo());
        if (!inReplyTo.isEmpty() && inReplyTo.containsAll(refs)) return List.of(inReplyTo.getFirst());
        return refs;
    }

    /** Step 3: empty dummies go; a dummy's children take its place, but at the top only an only child does. */
    private static List<Container> prune(List<Container> roots) {
        List<Container> out = new ArrayList<>();
        for (Container r : roots) {
            pruneChildren(r);
            if (!r.isDummy() || r.children.size() > 1) {
                out.add(r);
            } else if (r.children.size() == 1) {
                Container only = r.children.getFirst();
                only.parent = null;
                out.add(only);
            }
        }
        return out;
    }

    private static void pruneChildren(Container n) {
        List<Container> kept = new ArrayList<>();
        for (Container c : n.children) {
            pruneChildren(c);
            if (!c.isDummy()) {
                kept.add(c);
            } else {
                for (Container grandchild : c.children) {
                    grandchild.parent = n;
                    kept.add(grandchild);
                }
            }
        }
        n.children.clear();
        n.children.addAll(kept);
    }

    /** Step 5: top-level threads with the same base subject (RFC 5256 §2.1) are put together. */
    private static List<Container> gatherBySubject(List<Container> roots) {
        Map<String, Container> subjectTable = new HashMap<>();
        // 5B: who holds a subject: the first, unless a later one is a dummy and it is not, or it
        // is a reply/forward and the later one is not
        for (Container r : roots) {
            String subject = baseSubject(r);
            if (subject.isEmpty()) continue;
            Container held = subjectTable.get(subject);
            if (held == null
                    || (r.isDummy() && !held.isDummy())
                    || (!held.isDummy() && !r.isDummy() && isReplyOrForward(held) && !isReplyOrForward(r))) {
                subjectTable.put(subject, r);
            }
        }
        // 5C: everyone else with that subject is merged into the holder
        List<Container> out = new ArrayList<>(roots);
        for (Container r : roots) {
            String subject = baseSubject(r);
            if (subject.isEmpty()) continue;
            Container held = subjectTable.get(subject);
            if (held == r) continue;
            out.remove(r);
            if (held.isDummy() && r.isDummy()) {
                for (Container c : r.children) adopt(held, c);
                r.children.clear();
            } else if (held.isDummy()) {
                adopt(held, r);
            } else if (isReplyOrForward(r) && !isReplyOrForward(held)) {
                adopt(held, r);
            } else {
                Container dummy = new Container();
                out.set(out.indexOf(held), dummy);
                adopt(dummy, held);
                adopt(dummy, r);
                subjectTable.put(subject, dummy);
            }
        }
        return out;
    }

    /** Step 6: every set of siblings by sent date, bottom-up so that a dummy sorts as its first child. */
    private static void sortSiblings(List<Container> siblings) {
        for (Container c : siblings) sortSiblings(c.children);
        siblings.sort(BY_SENT_DATE);
    }

    private static void adopt(Container parent, Container child) {
        child.parent = parent;
        parent.children.add(child);
    }

    /** A top-level container's subject: a dummy's is its first child's (step 5B). */
    private static String baseSubject(Container c) {
        Message m = c.sortKey();
        return m == null ? "" : Searcher.baseSubject(m.subject());
    }

    /**
     * Whether a message's subject marks it a reply or forward (RFC 5256 §4 step 5B): base subject
     * extraction removed a "Re:"/"Fwd:" leader, a "(fwd)" trailer or a "[Fwd: ...]" wrapper, not
     * merely whitespace or a [blob].
     */
    private static boolean isReplyOrForward(Container c) {
        String raw = c.message.subject();
        if (raw == null) return false;
        String s = DecoderUtil.decodeEncodedWords(raw, DecodeMonitor.SILENT).replaceAll("[\\t\\r\\n ]+", " ").trim()
                .toLowerCase(Locale.ROOT);
        if (s.matches(".*\\(fwd\\)$")) return true;
        s = s.replaceAll("^(\\[[^\\[\\]]*\\]\\s*)+", "");
        return s.matches("^(re|fwd?)\\s*(\\[[^\\[\\]]*\\])?\\s*:.*") || (s.startsWith("[fwd:") && s.endsWith("]"));
    }

    private static void write(Container n, StringBuilder sb) {
        if (!n.isDummy()) {
            sb.append(n.message.number());
            if (n.children.size() == 1) {
                // a chain of only children is flattened: "(3 6 4)" rather than "(3 (6 (4)))"
                sb.append(' ');
                write(n.children.getFirst(), sb);
                return;
            }
            if (!n.children.isEmpty()) sb.append(' ');
        }
        for (Container child : n.children) {
            sb.append('(');
            write(child, sb);
            sb.append(')');
        }
    }

    private static String firstId(String value) {
        List<String> ids = ids(value);
        return ids.isEmpty() ? null : ids.getFirst();
    }

    /** The "&lt;...&gt;" Message-IDs in a header value, whitespace removed, compared case-insensitively. */
    private static List<String> ids(String value) {
        List<String> out = new ArrayList<>();
        if (value == null) return out;
        int i = 0;
        while ((i = value.indexOf('<', i)) >= 0) {
            int j = value.indexOf('>', i + 1);
            if (j < 0) break;
            String id = value.substring(i, j + 1).replaceAll("\\s+", "");
            if (id.length() > 2) out.add(id.toLowerCase(Locale.ROOT));
            i = j + 1;
        }
        return out;
    }
}
