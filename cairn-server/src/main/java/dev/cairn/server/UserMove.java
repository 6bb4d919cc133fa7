// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.ClusterMember;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.directory.Placement;
import dev.cairn.replication.Frame;
import dev.cairn.replication.FrameCodec;
import dev.cairn.replication.Replication;
import dev.cairn.replication.UserImageCodec;
import dev.cairn.store.BodyId;
import dev.cairn.store.SlotStore;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.routing.SlotRouter;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An online user move ({@code cairn user move U --to STORE}), run by the master of the target
 * store, which pulls the user from the source store's master over the admin endpoints
 * ({@link MoveAdmin}, behind the cluster token):
 * <ol>
 *   <li><b>place</b>: a user the directory never placed is placed on the store that holds it
 *       (compare-and-set), so that every node routes it by the directory from now on;</li>
 *   <li><b>copy</b>: the user's consistent copy (its records and bodies, read on the source from one
 *       snapshot, as a resync reads it: its commits go on meanwhile) is installed in the target slot, with its seq: mailboxes keep their
 *       UIDVALIDITY, UIDs and MODSEQs; nothing routes to it yet (the directory names the source);</li>
 *   <li><b>follow the log</b>: the source's change records after that seq are applied exactly
 *       (as a replica applies its master's), in rounds, until the target is a few records behind;</li>
 *   <li><b>hold</b>: the source holds the user's commits (they wait, at most 30 s; the budget bounds
 *       the hold) and answers its seq once those in flight are in its log; the last records follow;</li>
 *   <li><b>flip</b>: the directory's placement goes from the source to the target (compare-and-set);
 *       until here any failure releases the hold and the source goes on as if nothing happened;</li>
 *   <li><b>moved</b>: the source refuses the user's commits for good (the waiting ones and later
 *       ones fail UNAVAILABLE: LMTP 451 4.3.0, retried by the sender) and ends its sessions (BYE
 *       [UNAVAILABLE]); every registered node forgets where it saw the user; the target copies the
 *       user to its own replicas again (a resync; they had the bulk of it before the hold);</li>
 *   <li><b>remove</b>: once the target's replicas have acknowledged the user at the flip's seq, the
 *       old copy is deleted on the source (a commit, so its replicas drop it too); until then it
 *       stays, unused (the router follows the placement), and the same command again removes it.</li>
 * </ol>
 * A crash leaves either the source's placement (before the flip: the copy on the target is
 * unreachable and replaced by the next attempt; the hold is in memory and gone with the source's
 * process or released) or the target's (after it: every node routes to the target; the old copy
 * takes no writes, since the router follows the placement, and the same command again finishes the
 * removal). At no moment do two copies take writes, nor none for longer than the hold.
 */
final class UserMove {
    private static final Logger log = LoggerFactory.getLogger(UserMove.class);
    /** Follow the log unheld until the target is at most this many records behind. */
    private static final long CLOSE_ENOUGH = 50;
    private static final int MAX_ROUNDS = 100;
    /** How long the target's replicas may take to hold the user (before the flip; before the old copy goes). */
    private static final Duration REPLICA_WAIT = Duration.ofSeconds(60);

    private final Supplier<ClusterMember> member;
    private final Replication replication;
    private final Map<String, SlotStore> slots;
    private final SlotRouter router;
    private final Placement placement;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param placement the cluster directory's placement; null when the node's directory is its own (no moves) */
    UserMove(Supplier<ClusterMember> member, Replication replication, Map<String, SlotStore> slots, SlotRouter router, Placement placement,
             String clusterToken) {
        this.member = member;
        this.replication = replication;
        this.slots = slots;
        this.router = router;
        this.placement = placement;
        this.token = clusterToken;
    }

    /** The operator's request on any node: run here when this node masters the target, else on its master. */
    String request(String user, String to, Duration budget) throws Exception {
        if (placement == null) {
            throw new IllegalStateException("users move between stores only with the cluster's directory ([directory] url: PostgreSQL), "
                    + "where every node reads the same placement; this node's directory is its own");
        }
        StoreRecord target = store(to);
        if (target.master().node().equals(replication.node())) return run(user, to, budget);
        return text(call(target.master().node(), "POST", "/users/move/run?" + query("user", user, "to", to, "budget_ms", budget.toMillis())));
    }

    /** The move, on the target's master (see the class comment); what it did, in lines. */
    synchronized String run(String user, String to, Duration budget) throws Exception {
        if (placement == null) throw new IllegalStateException("this node has no cluster directory ([directory] url): it cannot move users");
        StoreRecord targetRecord = store(to);
        if (!replication.masters(to)) throw new IllegalStateException("store " + to + " is not mastered here (its master is " + targetRecord.master() + ")");
        SlotStore target = slots.get(replication.slotOf(to));
        long start = System.nanoTime();
        Optional<String> placed = placement.storeOf(user);
        String from = placed.filter(s -> !s.equals(to)).orElse(null);
        if (from == null) from = holder(user, to);
        if (from == null) {
            if (placed.isEmpty() && !placement.place(user, Optional.empty(), to)) throw new IllegalStateException("user " + user + " was placed meanwhile");
            return "user " + user + " is on store " + to + (placed.isEmpty() ? " (placed there: no store held it)" : " already") + "\n";
        }
        String source = store(from).master().node();
        if (placed.isPresent() && placed.get().equals(to)) {
            // A move that flipped the placement and stopped before the old copy was removed: finish it.
            if (!finish(user, from, to, source, target)) {
                throw new IllegalStateException("user " + user + " is on store " + to + "; the old copy on store " + from
                        + " is kept until the replicas of " + to + " have the user: run the command again");
            }
            return "user " + user + " is on store " + to + "; the old copy on store " + from + " was removed (an earlier move's end)\n";
        }
        if (placed.isEmpty() && !placement.place(user, Optional.empty(), from)) throw new IllegalStateException("user " + user + " was placed meanwhile");

        replication.userMoves().arrived(to, user);
        HttpResponse<byte[]> image = call(source, "GET", "/users/move/image?" + query("store", from, "user", user));
        target.replication().installUser(UserImageCodec.decode(image.body()));
        long seq = target.replication().seq(user);
        long copied = System.nanoTime();
        int records = 0, rounds = 0;
        long sourceSeq;
        do {
            Pulled p = pull(source, from, user, seq, target);
            seq = p.seq;
            sourceSeq = p.sourceSeq;
            records += p.records;
        } while (sourceSeq - seq > CLOSE_ENOUGH && ++rounds < MAX_ROUNDS);
        // The target's replicas get the bulk of the copy before the flip, so that a target master
        // lost right after it leaves a replica with the user (the rest follows the flip).
        replication.resync(to, user);
        boolean replicated = replication.userMoves().awaitReplicated(to, user, seq, REPLICA_WAIT);
        if (!replicated) log.warn("move: user {}: the replicas of store {} did not take the copy within {} s; going on", user, to, REPLICA_WAIT.toSeconds());
        long copiedToReplicas = System.nanoTime();
        do {
            Pulled p = pull(source, from, user, seq, target);
            seq = p.seq;
            sourceSeq = p.sourceSeq;
            records += p.records;
        } while (sourceSeq - seq > CLOSE_ENOUGH && ++rounds < MAX_ROUNDS);

        long held = System.nanoTime();
        long heldSeq = Long.parseLong(text(call(source, "POST", "/users/move/hold?" + query("store", from, "user", user, "budget_ms", budget.toMillis()))).strip());
        long flipped;
        try {
            while (seq < heldSeq) {
                Pulled p = pull(source, from, user, seq, target);
                if (p.records == 0) throw new IllegalStateException("the source's log of user " + user + " ends at " + p.seq + ", before its seq " + heldSeq);
                seq = p.seq;
                records += p.records;
            }
            if (System.nanoTime() - held > budget.toNanos()) {
                throw new IllegalStateException("the last changes took longer than the budget " + budget.toMillis() + " ms");
            }
            if (!placement.place(user, Optional.of(from), to)) throw new IllegalStateException("user " + user + " was placed elsewhere meanwhile");
            flipped = System.nanoTime();
        } catch (Exception e) {
            try {
                call(source, "POST", "/users/move/release?" + query("store", from, "user", user));
            } catch (Exception release) {
                e.addSuppressed(release); // the hold lapses 5 s after the budget; the placement, unchanged, releases it
            }
            log.warn("move: user {} from store {} to {} abandoned, the user stays on {}: {}", user, from, to, from, e.getMessage());
            throw new IllegalStateException("user " + user + " stays on store " + from + ": " + e.getMessage(), e);
        }
        log.info("move: user {} placed on store {} (was {}), at seq {}", user, to, from, seq);
        long moved = System.nanoTime();
        boolean removed = finish(user, from, to, source, target);
        long end = System.nanoTime();
        String report = String.format(java.util.Locale.ROOT,
                "user %s moved from store %s to %s: copy %d ms, to the target's replicas %d ms, log followed %d record(s) in %d round(s), "
                        + "held %d ms (writes waited), %s; %d ms in all%n", user, from, to, ms(copied - start), ms(copiedToReplicas - copied),
                records, rounds + 1, ms(moved - held),
                removed ? "old copy removed" : "old copy kept (the target's replicas did not have the user yet: run the command again)",
                ms(end - start));
        log.info("move: {}", report.strip());
        return report + "held_ms=" + ms(moved - held) + " flip_ms=" + ms(flipped - held) + " total_ms=" + ms(end - start) + "\n";
    }

    /**
     * After the flip: the source refuses the user for good and ends its sessions, every node
     * forgets where it saw it, the target's replicas get the last changes; the old copy is removed
     * only once they have them (else it stays, unused, for the next run to remove): false then.
     */
    private boolean finish(String user, String from, String to, String source, SlotStore target) throws Exception {
        try {
            call(source, "POST", "/users/move/moved?" + query("store", from, "user", user, "to", to));
        } finally {
            replication.resync(to, user);
            forgetEverywhere(user, to);
        }
        if (!replication.userMoves().awaitReplicated(to, user, target.replication().seq(user), REPLICA_WAIT)) return false;
        call(source, "POST", "/users/move/remove?" + query("store", from, "user", user));
        return true;
    }

    private record Pulled(long seq, long sourceSeq, int records) {}

    /** One round of the source's records after {@code seq}, applied exactly to the target. */
    private Pulled pull(String source, String from, String user, long seq, SlotStore target) throws Exception {
        HttpResponse<byte[]> r = call(source, "GET", "/users/move/changes?" + query("store", from, "user", user, "after", seq));
        long sourceSeq = Long.parseLong(r.headers().firstValue(MoveAdmin.SEQ_HEADER).orElse("0"));
        byte[] frame = r.body(); // FrameCodec's encoding: a 4-byte length, then the frame
        if (!(FrameCodec.decode(java.util.Arrays.copyOfRange(frame, 4, frame.length)) instanceof Frame.Changes changes)) {
            throw new IllegalStateException("not a Changes frame");
        }
        if (changes.entries().isEmpty()) return new Pulled(seq, sourceSeq, 0);
        List<ChangeRecord> records = new ArrayList<>();
        Map<BodyId, byte[]> bodies = new HashMap<>();
        for (Frame.Entry e : changes.entries()) {
            records.add(ChangeCodec.decode(e.record()));
            for (Frame.Body b : e.bodies()) bodies.put(b.id(), b.bytes());
        }
        long now = target.replication().applyAll(user, records, bodies::get);
        return new Pulled(now, sourceSeq, records.size());
    }

    /** The store other than {@code to} whose master holds the user (asked of each master), or null. */
    private String holder(String user, String to) throws Exception {
        for (StoreRecord r : member.get().storeMap().values()) {
            if (r.name().equals(to)) continue;
            String seq = text(call(r.master().node(), "GET", "/users/move/seq?" + query("store", r.name(), "user", user))).strip();
            if (Long.parseLong(seq) > 0) return r.name();
        }
        return null;
    }

    /** Every registered node forgets where it saw the user (its router asks the directory again). */
    private void forgetEverywhere(String user, String to) {
        for (NodeRecord n : member.get().registrations().values()) {
            try {
                call(n.node(), "POST", "/users/move/forget?" + query("user", user, "to", to));
            } catch (Exception e) {
                // Its router finds the old copy gone once it is removed, and looks again then.
                log.warn("move: node {} not told that user {} moved: {}", n.node(), user, e.getMessage());
            }
        }
    }

    private StoreRecord store(String name) {
        StoreRecord r = member.get().storeMap().get(name);
        if (r == null) throw new IllegalArgumentException("no store " + name + " in the cluster's map");
        return r;
    }

    private HttpResponse<byte[]> call(String node, String method, String pathAndQuery) throws IOException, InterruptedException {
        NodeRecord n = member.get().registrations().get(node);
        String admin = n == null ? null : n.addresses().get("admin");
        if (admin == null) throw new IllegalStateException("node " + node + " is not registered with an admin address");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + admin + pathAndQuery))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(5));
        HttpResponse<byte[]> r = http.send(method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.noBody()).build() : b.GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            String body = new String(r.body(), StandardCharsets.UTF_8).strip();
            throw new IllegalStateException("node " + node + ": " + (body.isEmpty() ? "HTTP " + r.statusCode() : body.lines().findFirst().orElseThrow()));
        }
        return r;
    }

    private static String text(HttpResponse<byte[]> r) { return new String(r.body(), StandardCharsets.UTF_8); }

    private static String query(Object... kv) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) b.append('&');
            b.append(kv[i]).append('=').append(URLEncoder.encode(String.valueOf(kv[i + 1]), StandardCharsets.UTF_8));
        }
        return b.toString();
    }

    private static long ms(long nanos) { return nanos / 1_000_000; }
}
