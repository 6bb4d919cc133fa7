// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.directory.Directory;
import dev.cairn.directory.Placement;
import dev.cairn.directory.User;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's periodic job ({@code [cluster] group_moves}, hourly by default): every user whose
 * group has a store ({@code group_stores}), or else whose primary address's domain has one
 * ({@code domain_stores}), and who lives on another store (or was never placed) is moved there,
 * one after the other, by an online move ({@link UserMove}). Every node schedules it; only the
 * node whose controller is the elected one runs it (a move is safe against a second mover anyway:
 * the source's hold refuses a second one, the placement is a compare-and-set). A user whose move
 * fails is logged and tried again at the next run.
 */
final class GroupMoves implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupMoves.class);

    /** A move the job would make. */
    record Planned(String user, Optional<String> from, String to) {}

    /** The moves to make: each user whose group's (else domain's) store differs from where it is placed. */
    static List<Planned> plan(List<User> users, Placement placement) {
        List<Planned> out = new ArrayList<>();
        for (User u : users) {
            Optional<String> wanted = u.group().flatMap(placement::groupStore)
                    .or(() -> u.primaryAddress().filter(a -> a.indexOf('@') > 0)
                            .flatMap(a -> placement.domainStore(a.substring(a.lastIndexOf('@') + 1))));
            if (wanted.isEmpty()) continue;
            Optional<String> placed = placement.storeOf(u.name());
            if (!placed.equals(wanted)) out.add(new Planned(u.name(), placed, wanted.get()));
        }
        return out;
    }

    interface Mover {
        String move(String user, String to, Duration budget) throws Exception;
    }

    private final ScheduledExecutorService timer;

    private GroupMoves(ScheduledExecutorService timer) { this.timer = timer; }

    /** Schedules the job every {@code every} (zero: never) on this node; it runs while {@code elected} says so. */
    static GroupMoves start(Duration every, BooleanSupplier elected, Directory directory, Mover mover) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("cairn-group-moves").factory());
        if (!every.isZero()) {
            timer.scheduleWithFixedDelay(() -> runOnce(elected, directory, mover), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        }
        return new GroupMoves(timer);
    }

    /** One run: the moves the plan names, one at a time, while this node's controller stays elected. */
    static int runOnce(BooleanSupplier elected, Directory directory, Mover mover) {
        if (!elected.getAsBoolean()) return 0;
        int moved = 0;
        try {
            List<Planned> plan = plan(directory.users(), directory.placement());
            if (!plan.isEmpty()) log.info("group moves: {} user(s) live on another store than their group's or domain's", plan.size());
            for (Planned p : plan) {
                if (!elected.getAsBoolean()) break;
                try {
                    log.info("group moves: {}", mover.move(p.user(), p.to(), Duration.ofSeconds(10)).strip());
                    moved++;
                } catch (Exception e) {
                    log.warn("group moves: user {} not moved to store {} (tried again at the next run): {}", p.user(), p.to(), e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            log.warn("group moves: the run failed (tried again at the next one): {}", e.toString());
        }
        return moved;
    }

    @Override public void close() { timer.shutdownNow(); }
}
