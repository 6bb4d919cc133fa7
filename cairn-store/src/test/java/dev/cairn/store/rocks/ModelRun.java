// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.Flags;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * One user driven by random IMAP-like operations (APPEND, STORE, EXPUNGE, COPY, MOVE, CREATE,
 * RENAME, DELETE) beside a plain model of what IMAP promises: messages and flags per mailbox,
 * UIDNEXT never down, UIDs never reused. Shared by ModelTest (which compares the store with the
 * model) and ReplayTest (which replays the run's change log into a second slot).
 */
final class ModelRun {
    private static final List<ZoneOffset> ZONES = List.of(ZoneOffset.UTC, ZoneOffset.ofHours(-5),
            ZoneOffset.ofHoursMinutes(5, 30), ZoneOffset.ofHours(14));
    static final class Box {
        final TreeMap<Long, Flags> messages = new TreeMap<>();
        long uidNext = 1;
        long uidValidity;
    }

    static final List<String> KEYWORDS = List.of("$a", "$B", "work", "\\Seen", "\\Flagged", "\\Deleted", "\\Answered", "\\Draft");

    final Map<String, Box> model = new HashMap<>();
    private final Random r;
    /** The text of message n (of 50) for a random draw. */
    private final IntFunction<String> mails;

    ModelRun(UserStore u, Random r, IntFunction<String> mails) {
        this.r = r;
        this.mails = mails;
        for (MailboxInfo i : u.mailboxes()) {
            Box b = new Box();
            b.uidValidity = i.uidValidity();
            model.put(i.name(), b);
        }
    }

    /** One random operation, its result checked against the model (UIDs handed out). */
    void step(UserStore u, int step) {
        List<String> names = new ArrayList<>(model.keySet());
        names.sort(null);
        String name = names.get(r.nextInt(names.size()));
        Box box = model.get(name);
        var id = u.mailbox(name).orElseThrow().id();
        List<Long> uids = new ArrayList<>(box.messages.keySet());
        int op = r.nextInt(12);
        try {
            if (op < 4) {
                int n = 1 + r.nextInt(3);
                List<NewMessage> ms = new ArrayList<>();
                List<Flags> fl = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Flags f = randomFlags();
                    fl.add(f);
                    NewMessage m = msg(mails.apply(r.nextInt(50)), f);
                    // internal dates in several zones, +0000 among them (the two encodings of the date)
                    ZoneOffset zone = ZONES.get((int) ((box.uidNext + i) % ZONES.size()));
                    ms.add(new NewMessage(m.body(), m.flags(), m.internalDate().toInstant().atOffset(zone)));
                }
                var res = u.append(name, ms);
                for (int i = 0; i < n; i++) {
                    assertThat(res.uids().get(i).value()).isEqualTo(box.uidNext);
                    box.messages.put(box.uidNext++, fl.get(i));
                }
            } else if (op < 6 && !uids.isEmpty()) {
                List<Uid> pick = pick(uids);
                FlagOp fo = FlagOp.values()[r.nextInt(3)];
                Flags f = randomFlags();
                u.storeFlags(id, pick, fo, f, OptionalLong.empty());
                for (Uid x : pick) {
                    Flags cur = box.messages.get(x.value());
                    box.messages.put(x.value(), switch (fo) {
                        case ADD -> cur.plus(f);
                        case REMOVE -> cur.minus(f);
                        case REPLACE -> f;
                    });
                }
            } else if (op < 7 && !uids.isEmpty()) {
                List<Uid> pick = pick(uids);
                u.expunge(id, pick);
                pick.forEach(x -> box.messages.remove(x.value()));
            } else if (op < 9 && !uids.isEmpty()) {
                String dest = names.get(r.nextInt(names.size()));
                Box d = model.get(dest);
                List<Uid> pick = pick(uids);
                boolean move = r.nextBoolean();
                var res = move ? u.move(id, pick, dest) : u.copy(id, pick, dest);
                List<Flags> moved = new ArrayList<>();
                for (Uid x : pick) moved.add(box.messages.get(x.value()));
                if (move) pick.forEach(x -> box.messages.remove(x.value()));
                for (int i = 0; i < pick.size(); i++) {
                    assertThat(res.destinationUids().get(i).value()).isEqualTo(d.uidNext);
                    d.messages.put(d.uidNext++, moved.get(i));
                }
            } else if (op == 9) {
                String n = "f" + r.nextInt(6) + (r.nextBoolean() ? "/g" + r.nextInt(3) : "");
                if (model.containsKey(n)) return;
                var info = u.createMailbox(n, Set.of());
                String parent = n.contains("/") ? n.substring(0, n.indexOf('/')) : null;
                if (parent != null && !model.containsKey(parent)) model.put(parent, new Box());
                Box b = new Box();
                b.uidValidity = info.uidValidity();
                model.put(n, b);
            } else if (op == 10 && name.startsWith("f") && !name.contains("/")) {
                String to = "r" + r.nextInt(1000);
                // The children move too: none of their new names may be taken (a deleted parent leaves its children).
                if (model.keySet().stream().anyMatch(n -> n.equals(to) || n.startsWith(to + "/"))) return;
                u.renameMailbox(name, to);
                for (String n : new ArrayList<>(model.keySet())) {
                    if (n.equals(name) || n.startsWith(name + "/")) model.put(to + n.substring(name.length()), model.remove(n));
                }
            } else if (op == 11 && !name.equals("INBOX") && r.nextInt(3) == 0) {
                u.deleteMailbox(name);
                model.remove(name);
            }
        } catch (StoreException e) {
            throw new AssertionError("step " + step + " op " + op + ": " + e.getMessage(), e);
        }
    }

    /** RENAME INBOX (RFC 9051 §6.3.6): its messages move to the new mailbox, INBOX stays, empty. */
    void renameInbox(UserStore u, String to) {
        if (model.containsKey(to)) return;
        u.renameMailbox("INBOX", to);
        Box inbox = model.get("INBOX"), moved = new Box();
        for (Flags f : inbox.messages.values()) moved.messages.put(moved.uidNext++, f);
        inbox.messages.clear();
        moved.uidValidity = u.mailbox(to).orElseThrow().uidValidity();
        model.put(to, moved);
    }

    /** The store against the model: mailboxes, UIDNEXT, counters, the view's messages and flags, quota. */
    void compare(UserStore u, int step) {
        assertThat(u.mailboxes()).extracting(MailboxInfo::name).as("step %d", step).containsExactlyInAnyOrderElementsOf(model.keySet());
        long total = 0;
        for (var e : model.entrySet()) {
            MailboxInfo info = u.mailbox(e.getKey()).orElseThrow();
            Box b = e.getValue();
            assertThat(info.uidNext()).as("step %d %s uidnext", step, e.getKey()).isEqualTo(b.uidNext);
            if (b.uidValidity != 0) assertThat(info.uidValidity()).isEqualTo(b.uidValidity);
            assertThat(info.messages()).isEqualTo(b.messages.size());
            assertThat(info.unseen()).isEqualTo(b.messages.values().stream().filter(f -> !f.has(Flags.SEEN)).count());
            assertThat(info.deleted()).isEqualTo(b.messages.values().stream().filter(f -> f.has(Flags.DELETED)).count());
            MailboxSnapshot s = u.view(info.id()).snapshot();
            assertThat(s.size()).isEqualTo(b.messages.size());
            int i = 0;
            for (var m : b.messages.entrySet()) {
                assertThat(s.uid(i).value()).isEqualTo(m.getKey());
                assertThat(s.flags(i)).as("step %d %s uid %d", step, e.getKey(), m.getKey()).isEqualTo(m.getValue());
                assertThat(s.modSeq(i).value()).isLessThanOrEqualTo(info.highestModSeq());
                i++;
            }
            assertThat(s.info()).isEqualTo(info);
            total += b.messages.size();
        }
        assertThat(u.quota().messagesUsed()).isEqualTo(total);
    }

    Flags randomFlags() {
        List<String> f = new ArrayList<>();
        for (String n : KEYWORDS) if (r.nextInt(4) == 0) f.add(n);
        return Flags.of(f);
    }

    private List<Uid> pick(List<Long> uids) {
        List<Uid> out = new ArrayList<>();
        for (long uid : uids) if (r.nextInt(3) == 0) out.add(Uid.of(uid));
        if (out.isEmpty()) out.add(Uid.of(uids.get(r.nextInt(uids.size()))));
        return out;
    }
}
