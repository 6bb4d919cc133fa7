// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.HeavyCommands.Budget;
import dev.cairn.store.mime.MessageIds;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The THREAD=REFERENCES algorithm, step by step as RFC 5256 §4 gives it. Pure: it sees only the
 * header fields it needs, so it is tested without a store. The trees come from senders (one
 * References field of 20,000 ids is a chain 20,000 deep), so every walk over them is a loop with
 * a stack of its own, never recursion, and checks the command's budget.
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
        private BaseSubject subject;

        boolean isDummy() { return message == null; }

        Container root() {
            Container n = this;
            while (n.parent != null) n = n.parent;
            return n;
        }

        /** A dummy sorts as its first child (steps 4 and 6): children are sorted before their parent's level. */
        Message sortKey() {
            Container n = this;
            while (n.message == null) {
                if (n.children.isEmpty()) return null;
                n = n.children.getFirst();
            }
            return n.message;
        }

        /** The base subject of the message this container sorts as (a dummy's is its first child's, step 5B). */
        BaseSubject subject() {
            if (subject == null) {
                Message m = sortKey();
                subject = BaseSubject.of(m == null ? null : m.subject());
            }
            return subject;
        }
    }

    private static final Comparator<Container> BY_SENT_DATE = Comparator.comparing(
            (Container c) -> c.sortKey(), Comparator.nullsLast(
                    Comparator.comparing(Message::sent).thenComparingInt(Message::msn)));

    private ReferencesThreads() {}

    /** The threads, rendered as in RFC 5256 §4 ("(2)(3 6 (4 23)(44 7 96))"), with a leading space, or "". */
    static String render(List<Message> messages) { return render(messages, Budget.NONE); }

    static String render(List<Message> messages, Budget budget) {
        StringBuilder sb = new StringBuilder();
        for (Container root : thread(messages, budget)) {
            sb.append(sb.isEmpty() ? " (" : "(");
            write(root, sb, budget);
            sb.append(')');
        }
        return sb.toString();
    }

    static List<Container> thread(List<Message> messages, Budget budget) {
        List<Message> bySequence = new ArrayList<>(messages);
        bySequence.sort(Comparator.comparingInt(Message::msn));
        List<Container> all = link(bySequence, budget);
        // step 2: the root set is every container without a parent
        List<Container> roots = new ArrayList<>();
        for (Container c : all) if (c.parent == null) roots.add(c);
        roots = prune(roots, budget);
        // step 4: top-level by sent date, a dummy by its first child once its children are sorted
        for (Container r : roots) if (r.isDummy()) r.children.sort(BY_SENT_DATE);
        roots.sort(BY_SENT_DATE);
        roots = gatherBySubject(roots, budget);
        sortSiblings(roots, budget);
        return roots;
    }

    /**
     * Step 1: the id_table, parent/child links from each message's references, without loops. A
     * link to a container without a parent makes a loop only if that container is the root of
     * the would-be parent; along one message's references that root is carried from link to
     * link, so a long References field costs its length, not its length squared.
     */
    private static List<Container> link(List<Message> bySequence, Budget budget) {
        Map<String, Container> idTable = new HashMap<>();
        List<Container> all = new ArrayList<>();
        for (Message m : bySequence) {
            budget.check();
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
            Container previousRoot = null; // the root of previous, when known
            for (String ref : references(m)) {
                Container r = idTable.get(ref);
                if (r == null) {
                    r = new Container();
                    all.add(r);
                    idTable.put(ref, r);
                }
                if (previous != null && r.parent == null && r != previous) {
                    if (previousRoot == null) previousRoot = previous.root();
                    if (previousRoot != r) {
                        adopt(previous, r); // r's tree joins previous's: the root stays
                        previous = r;
                        continue;
                    }
                }
                previous = r;
                previousRoot = null;
            }
            // 1C: the last reference is this message's parent; a parent it has from an earlier message's
            // (probably truncated) References is dropped first. Still no loops: own is a root now, and
            // one without children (a new container) cannot be above previous.
            if (own.parent != null) {
                own.parent.children.remove(own);
                own.parent = null;
            }
            if (previous != null && previous != own && (own.children.isEmpty() || previous.root() != own)) adopt(previous, own);
        }
        return all;
    }

    /**
     * The message's references: References when it has one, else the first id of In-Reply-To
     * (RFC 5256 §4 step 1). The store keeps References then In-Reply-To ids merged without repeats;
     * when that list is no more than In-Reply-To's ids there was no References field.
     */
    private static Set<String> references(Message m) {
        Set<String> refs = new LinkedHashSet<>();
        if (m.references() != null) {
            for (String r : m.references()) {
                String id = firstId(r);
                if (id != null) refs.add(id);
            }
        }
        List<String> inReplyTo = ids(m.inReplyTo());
        if (!inReplyTo.isEmpty() && new HashSet<>(inReplyTo).containsAll(refs)) return Set.of(inReplyTo.getFirst());
        return refs;
    }

    /** Step 3: empty dummies go; a dummy's children take its place, but at the top only an only child does. */
    private static List<Container> prune(List<Container> roots, Budget budget) {
        List<Container> out = new ArrayList<>();
        for (Container r : roots) {
            pruneChildren(r, budget);
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

    /** Below a root, bottom-up: a container's children are pruned before it splices them. */
    private static void pruneChildren(Container top, Budget budget) {
        for (Container n : bottomUp(top, budget)) {
            List<Container> kept = new ArrayList<>();
            for (Container c : n.children) {
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
    }

    /** Every container of a tree, each after all of its descendants (reversed pre-order). */
    private static List<Container> bottomUp(Container top, Budget budget) {
        List<Container> preOrder = new ArrayList<>();
        Deque<Container> stack = new ArrayDeque<>();
        stack.push(top);
        while (!stack.isEmpty()) {
            budget.check();
            Container n = stack.pop();
            preOrder.add(n);
            for (Container c : n.children) stack.push(c);
        }
        return preOrder.reversed();
    }

    /** Step 5: top-level threads with the same base subject (RFC 5256 §2.1) are put together. */
    private static List<Container> gatherBySubject(List<Container> roots, Budget budget) {
        Map<String, Container> subjectTable = new HashMap<>();
        // 5B: who holds a subject: the first, unless a later one is a dummy and it is not, or it
        // is a reply/forward and the later one is not
        for (Container r : roots) {
            budget.check();
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
        Set<Container> merged = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Map<Container, Container> replacedBy = new java.util.IdentityHashMap<>();
        for (Container r : roots) {
            budget.check();
            String subject = baseSubject(r);
            if (subject.isEmpty()) continue;
            Container held = subjectTable.get(subject);
            if (held == r) continue;
            merged.add(r);
            if (held.isDummy() && r.isDummy()) {
                for (Container c : r.children) adopt(held, c);
                r.children.clear();
            } else if (held.isDummy()) {
                adopt(held, r);
            } else if (isReplyOrForward(r) && !isReplyOrForward(held)) {
                adopt(held, r);
            } else {
                Container dummy = new Container();
                replacedBy.put(held, dummy); // the new dummy takes the holder's place at the top
                adopt(dummy, held);
                adopt(dummy, r);
                subjectTable.put(subject, dummy);
            }
        }
        List<Container> out = new ArrayList<>(roots.size());
        for (Container r : roots) {
            if (merged.contains(r)) continue;
            Container top = r;
            while (replacedBy.containsKey(top)) top = replacedBy.get(top);
            out.add(top);
        }
        return out;
    }

    /** Step 6: every set of siblings by sent date, bottom-up so that a dummy sorts as its first child. */
    private static void sortSiblings(List<Container> roots, Budget budget) {
        for (Container r : roots) {
            for (Container n : bottomUp(r, budget)) n.children.sort(BY_SENT_DATE);
        }
        roots.sort(BY_SENT_DATE);
    }

    private static void adopt(Container parent, Container child) {
        child.parent = parent;
        parent.children.add(child);
    }

    /** A top-level container's subject: a dummy's is its first child's (step 5B). */
    private static String baseSubject(Container c) { return c.subject().key(); }

    /**
     * Whether a message's subject marks it a reply or forward (RFC 5256 §4 step 5B): base subject
     * extraction removed a "Re:"/"Fwd:" leader, a "(fwd)" trailer or a "[Fwd: ...]" wrapper, not
     * merely whitespace or a [blob].
     */
    private static boolean isReplyOrForward(Container c) { return c.subject().replyOrForward(); }

    /**
     * One thread: a message's number, its only child flattened after it ("(3 6 4)" rather than
     * "(3 (6 (4)))"), several children each in parentheses. Written from a stack of what is still
     * to write: a container, or a closing parenthesis.
     */
    private static void write(Container top, StringBuilder sb, Budget budget) {
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(top);
        while (!todo.isEmpty()) {
            budget.check();
            Object next = todo.pop();
            if (next == OPEN || next == CLOSE) {
                sb.append(next == OPEN ? '(' : ')');
                continue;
            }
            Container n = (Container) next;
            if (!n.isDummy()) {
                sb.append(n.message.number());
                if (n.children.size() == 1) {
                    sb.append(' ');
                    todo.push(n.children.getFirst());
                    continue;
                }
                if (!n.children.isEmpty()) sb.append(' ');
            }
            for (Container child : n.children.reversed()) {
                todo.push(CLOSE);
                todo.push(child);
                todo.push(OPEN);
            }
        }
    }

    private static final Object OPEN = new Object();
    private static final Object CLOSE = new Object();

    private static String firstId(String value) {
        return MessageIds.first(value);
    }

    private static List<String> ids(String value) {
        return MessageIds.all(value);
    }
}
