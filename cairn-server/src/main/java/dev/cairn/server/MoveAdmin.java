// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import com.sun.net.httpserver.HttpExchange;
import dev.cairn.replication.Frame;
import dev.cairn.replication.FrameCodec;
import dev.cairn.replication.Replication;
import dev.cairn.replication.UserImageCodec;
import dev.cairn.store.BodyId;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.UserImage;
import dev.cairn.store.routing.SlotRouter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoints of an online user move (see {@link UserMove}) on a cluster node.
 *
 * <p>For the operator (the node's own token, as every admin endpoint): {@code POST
 * /users/move?user=U&to=STORE[&budget_ms=N]} moves the user; the node forwards the request to the
 * master of {@code to} when it is not that master itself.
 *
 * <p>Between nodes, behind the cluster token ({@link ClusterToken}: derived from the cluster
 * secret every node has, so a node can call another's endpoint without knowing its own token):
 * <ul>
 *   <li>{@code POST /users/move/run?user&to&budget_ms}: the move, on the target's master;</li>
 *   <li>{@code GET /users/move/seq?store&user}: the user's seq in this node's slot of the store (0: not there);</li>
 *   <li>{@code GET /users/move/image?store&user}: the user's copy (UserImageCodec), from one snapshot (no lock held);</li>
 *   <li>{@code GET /users/move/changes?store&user&after=SEQ}: the user's change records after SEQ,
 *       at most 1,000 and about 8 MiB, with the bodies they append, as one replication Changes
 *       frame (FrameCodec); header {@code Cairn-Seq}: the user's seq here;</li>
 *   <li>{@code POST /users/move/hold?store&user&budget_ms}: the user's commits wait from now on;
 *       answers the user's seq once the commits in flight are in the log (409 when it cannot);</li>
 *   <li>{@code POST /users/move/release?store&user}: the hold ends, the move abandoned;</li>
 *   <li>{@code POST /users/move/moved?store&user&to}: the user lives on {@code to} now: refused
 *       here, its sessions end (BYE [UNAVAILABLE]);</li>
 *   <li>{@code POST /users/move/remove?store&user}: the old copy removed (a commit, replicated);</li>
 *   <li>{@code POST /users/move/forget?user&to}: on every node, the router forgets where the
 *       user was and the sessions of the user that no longer can write here end.</li>
 * </ul>
 */
final class MoveAdmin {
    private static final Logger log = LoggerFactory.getLogger(MoveAdmin.class);
    static final String SEQ_HEADER = "Cairn-Seq";
    private static final int CHANGES_MAX = 1_000;
    private static final int CHANGES_BYTES = 8 << 20;

    private MoveAdmin() {}

    static void register(AdminServer admin, String nodeToken, String clusterToken, UserMove move, Replication replication,
                         Map<String, SlotStore> slots, SlotRouter router, dev.cairn.directory.Placement placement) {
        ReplicationAdmin.context(admin, nodeToken, "/users/move", "POST", q -> move.request(required(q, "user"), required(q, "to"), budget(q)));
        ReplicationAdmin.context(admin, clusterToken, "/users/move/run", "POST",
                q -> move.run(required(q, "user"), required(q, "to"), budget(q)));
        ReplicationAdmin.context(admin, clusterToken, "/users/move/seq", "GET", q -> {
            String store = required(q, "store"), user = required(q, "user");
            String slot = replication.slotOf(store);
            return (slot == null ? 0 : slots.get(slot).replication().seq(user)) + "\n";
        });
        binary(admin, clusterToken, "/users/move/image", (q, ex) -> {
            String store = required(q, "store"), user = required(q, "user");
            UserImage image = image(master(replication, slots, store), user);
            if (image == null) throw new StoreException(StoreException.Reason.NO_SUCH_USER, "user " + user + " is not on store " + store);
            ex.getResponseHeaders().set(SEQ_HEADER, Long.toString(image.seq()));
            return UserImageCodec.encode(image);
        });
        binary(admin, clusterToken, "/users/move/changes", (q, ex) -> {
            String store = required(q, "store"), user = required(q, "user");
            SlotStore slot = master(replication, slots, store);
            long after = Long.parseLong(required(q, "after"));
            long seq = slot.replication().seq(user);
            ex.getResponseHeaders().set(SEQ_HEADER, Long.toString(seq));
            return FrameCodec.encode(changes(slot, store, user, after));
        });
        ReplicationAdmin.context(admin, clusterToken, "/users/move/hold", "POST", q -> {
            String store = required(q, "store"), user = required(q, "user");
            SlotStore slot = master(replication, slots, store);
            if (!replication.userMoves().hold(store, user, budget(q), () -> placement.storeOf(user).map(store::equals).orElse(true))) {
                throw new IllegalStateException("user " + user + " cannot be held on store " + store
                        + " (held by another move, or its commits in flight did not finish within the budget)");
            }
            log.info("move: user {} held on store {} at seq {}", user, store, slot.replication().seq(user));
            return slot.replication().seq(user) + "\n";
        });
        ReplicationAdmin.context(admin, clusterToken, "/users/move/release", "POST", q -> {
            replication.userMoves().release(required(q, "store"), required(q, "user"));
            return "released\n";
        });
        ReplicationAdmin.context(admin, clusterToken, "/users/move/moved", "POST", q -> {
            String store = required(q, "store"), user = required(q, "user"), to = required(q, "to");
            replication.userMoves().movedAway(store, user, to);
            router.moved(user, "user " + user + " moved to store " + to);
            log.info("move: user {} moved off store {} to {}: its writes here are refused, its sessions end", user, store, to);
            return "moved\n";
        });
        ReplicationAdmin.context(admin, clusterToken, "/users/move/remove", "POST", q -> {
            String store = required(q, "store"), user = required(q, "user");
            SlotStore slot = master(replication, slots, store);
            if (!slot.hasUser(user)) return "not here\n";
            replication.userMoves().removing(store, user, true);
            try {
                slot.deleteUser(user);
            } finally {
                replication.userMoves().removing(store, user, false);
            }
            router.forget(user);
            log.info("move: the old copy of user {} removed from store {}", user, store);
            return "removed\n";
        });
        ReplicationAdmin.context(admin, clusterToken, "/users/move/forget", "POST", q -> {
            String user = required(q, "user");
            router.moved(user, "user " + user + " moved to store " + required(q, "to"));
            return "forgotten\n";
        });
    }

    /**
     * The user's copy from one consistent view of the slot (the resync's stream: a snapshot, so the
     * user's commits go on meanwhile instead of waiting for its lock), whole; null when the user is
     * not here.
     */
    static UserImage image(SlotStore slot, String user) {
        dev.cairn.store.replication.UserImageStream stream = slot.replication().streamUser(user);
        if (stream == null) return null;
        try (stream) {
            List<UserImage.Entry> entries = new ArrayList<>();
            Map<BodyId, byte[]> bodies = new java.util.HashMap<>();
            dev.cairn.store.replication.UserImageStream.Part part;
            do {
                part = stream.next(CHANGES_BYTES);
                entries.addAll(part.entries());
                for (BodyId id : part.bodies()) {
                    if (bodies.containsKey(id)) continue;
                    byte[] b = stream.body(id);
                    if (b == null) throw new IllegalStateException("a body of user " + user + " is gone since the copy began: move it again");
                    bodies.put(id, b);
                }
            } while (!part.last());
            return new UserImage(user, stream.seq(), entries, bodies);
        }
    }

    /** The user's records after {@code after}, within the frame's budget, each with the bodies it appends. */
    static Frame.Changes changes(SlotStore slot, String store, String user, long after) throws IOException {
        List<Frame.Entry> entries = new ArrayList<>();
        long bytes = 0;
        Set<BodyId> sent = new HashSet<>();
        for (ChangeRecord rec : slot.changeLog().read(user, after + 1, CHANGES_MAX)) {
            List<Frame.Body> bodies = new ArrayList<>();
            for (Change ch : rec.changes()) {
                if (!(ch instanceof Change.MessagesAppended a)) continue;
                for (Change.AppendedMessage m : a.messages()) {
                    if (!sent.add(m.body())) continue;
                    try (InputStream in = slot.user(user).openBody(m.body())) {
                        byte[] b = in.readAllBytes();
                        bodies.add(new Frame.Body(m.body(), b));
                        bytes += b.length;
                    } catch (IOException | StoreException e) {
                        // Expunged since: a later record of the log removes the message again.
                    }
                }
            }
            byte[] encoded = ChangeCodec.encode(rec);
            bytes += encoded.length;
            entries.add(new Frame.Entry(user, rec.seq(), encoded, bodies));
            if (bytes >= CHANGES_BYTES) break;
        }
        return new Frame.Changes(store, 0, entries);
    }

    private static SlotStore master(Replication replication, Map<String, SlotStore> slots, String store) {
        if (!replication.masters(store)) throw new IllegalStateException("store " + store + " is not mastered here");
        return slots.get(replication.slotOf(store));
    }

    static Duration budget(Map<String, String> q) {
        String ms = q.get("budget_ms");
        return ms == null || ms.isEmpty() ? Duration.ofSeconds(10) : Duration.ofMillis(Long.parseLong(ms));
    }

    private static String required(Map<String, String> q, String key) { return ReplicationAdmin.required(q, key); }

    private interface Binary {
        byte[] run(Map<String, String> query, HttpExchange exchange) throws Exception;
    }

    /** A GET behind the token whose 200 answer is bytes (refusals are text, as ReplicationAdmin's). */
    private static void binary(AdminServer admin, String token, String path, Binary body) {
        admin.context(path, exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET")) {
                    ReplicationAdmin.respond(exchange, 405, "use GET\n");
                } else if (!ReplicationAdmin.authorized(exchange, token)) {
                    ReplicationAdmin.respond(exchange, 401, "cluster token missing or wrong\n");
                } else {
                    byte[] answer;
                    try {
                        answer = body.run(ReplicationAdmin.query(exchange), exchange);
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        ReplicationAdmin.respond(exchange, 409, e.getMessage() + "\n");
                        return;
                    } catch (RuntimeException | IOException e) {
                        throw e; // AdminServer answers 500 (404 for NO_SUCH_USER)
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                    exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(answer);
                    }
                }
            }
        });
    }
}
