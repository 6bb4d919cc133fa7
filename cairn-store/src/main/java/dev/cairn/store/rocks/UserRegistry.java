// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.DefaultFolder;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.changelog.Change;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The slot's users: the registry of names and ids (meta, user 0), the users loaded in memory
 * (loaded on demand, kept while they have open views, evicted when idle), and creating and
 * deleting a user. Its lock ({@link #lock}) is held while a user is created, deleted or replaced
 * (a replica's image), so a name never gets two states.
 */
final class UserRegistry {
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final RocksSlotStore slot;
    private final SlotDatabase database;
    private final Map<String, UserState> users = new ConcurrentHashMap<>();
    final ReentrantLock lock = new ReentrantLock();
    private final Thread evictor;

    UserRegistry(RocksSlotStore slot, SlotDatabase database, MeterRegistry meters) {
        this.slot = slot;
        this.database = database;
        Gauge.builder("cairn.store.users.open", users, Map::size).description("users held in memory").register(meters);
        evictor = Thread.ofPlatform().name("cairn-evictor").daemon(true).start(this::evictLoop);
    }

    void stop() { evictor.interrupt(); }

    /** Each configured default folder's name is a valid mailbox name (INVALID_NAME, naming it, if not). */
    static void checkDefaultFolders(List<DefaultFolder> folders) {
        for (DefaultFolder f : folders) {
            try {
                MailboxNames.canonical(f.name());
            } catch (StoreException e) {
                throw new StoreException(Reason.INVALID_NAME, "default folder: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The user's state if it is in memory now, without loading it: what replication asks of
     * every record it ships or applies (the user's id, its seq) is answered from memory instead
     * of two database reads. Null when the user is not loaded (or deleted, or evicted).
     */
    UserState openState(String user) {
        UserState s = users.get(user);
        return s != null && !s.deleted && !s.evicted ? s : null;
    }

    /** The loaded state of a user, loading it if the user exists; null if it does not. */
    UserState state(String user) {
        database.checkOpen();
        UserState s = users.get(user);
        if (s != null && !s.deleted) return s;
        lock.lock();
        try {
            s = users.get(user);
            if (s != null && !s.deleted) return s;
            Integer id = userId(user);
            if (id == null) return null;
            s = new UserState(slot, user, id, UserState.load(slot, id));
            users.put(user, s);
            return s;
        } finally {
            lock.unlock();
        }
    }

    Integer userId(String user) {
        UserState open = openState(user);
        if (open != null) return open.id;
        byte[] v = database.get(database.meta, Keys.userTagString(0, Keys.USER_BY_NAME, user));
        return v == null ? null : java.nio.ByteBuffer.wrap(v).getInt();
    }

    /**
     * The user's state, creating the user if it does not exist: with INBOX and the configured
     * default folders ({@link dev.cairn.store.SlotConfig#defaultFolders()}), subscribed, in one commit.
     */
    UserState create(String user) {
        UserState s = state(user);
        if (s != null) return s;
        validateUserName(user);
        lock.lock();
        try {
            s = users.get(user);
            if (s != null && !s.deleted) return s;
            if (userId(user) != null) return state(user);
            ChangeApplier applier = slot.applier;
            int id = applier.nextUserId();
            UserHeader header = applier.newUserHeader(user);
            UserState created = new UserState(slot, user, id, UserState.index(header, new TreeMap<>(), new TreeSet<>()));
            created.write(t -> {
                applier.registerUser(t.ops, id, user);
                t.add(new Change.UserCreated(user));
                created.mailboxCommands.create(t, "INBOX", Set.of());
                subscribe(t, "INBOX");
                for (DefaultFolder f : slot.config().defaultFolders()) {
                    String name = MailboxNames.canonical(f.name());
                    if (t.byName(name) != null) continue; // listed twice, or as a parent before
                    created.mailboxCommands.createWithParents(t, name, f.specialUse());
                    subscribe(t, name);
                }
                return null;
            });
            users.put(user, created);
            return created;
        } finally {
            lock.unlock();
        }
    }

    private void subscribe(Txn t, String mailbox) {
        slot.applier.subscribe(t, mailbox, true);
        t.add(new Change.Subscribed(mailbox));
    }

    private static void validateUserName(String user) {
        if (user == null || user.isEmpty() || user.getBytes(StandardCharsets.UTF_8).length > 255
                || user.chars().anyMatch(c -> c < 0x21 || c == 0x7F)) {
            throw new StoreException(Reason.INVALID_ARGUMENT, "invalid user name");
        }
    }

    List<String> users() {
        database.checkOpen();
        List<String> out = new ArrayList<>();
        byte[] prefix = Keys.userTag(0, Keys.USER_BY_NAME);
        database.scan(database.meta, prefix, (k, v) -> out.add(new String(k, prefix.length, k.length - prefix.length, StandardCharsets.UTF_8)));
        return out;
    }

    void delete(String user) {
        lock.lock();
        try {
            UserState s = lockedState(user);
            if (s == null) throw new StoreException(Reason.NO_SUCH_USER, "no such user: " + user);
            try {
                s.delete();
                users.remove(user, s);
            } finally {
                s.lock.unlock();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A replica's copy of the user replaced the state (its lock held): the next use loads the new copy. */
    void replaced(UserState s, long seq) {
        s.replaced(seq);
        users.remove(s.name, s);
    }

    /** The user's current state with its write lock held (never an evicted one), or null. */
    UserState lockedState(String user) {
        while (true) {
            UserState s = state(user);
            if (s == null) return null;
            s.lock.lock();
            if (!s.evicted) return s;
            s.lock.unlock();
        }
    }

    private void evictLoop() {
        while (!database.closed()) {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                continue;
            }
            try {
                if (!database.closed()) evictIdle(IDLE_NANOS);
            } catch (RuntimeException e) {
                // next round
            }
        }
    }

    /** Drops users from memory that no session holds a view of (they reload on next use). */
    int evictIdle(long idleNanos) {
        int n = 0;
        long now = System.nanoTime();
        for (UserState s : users.values()) {
            if (now - s.lastUsedNanos < idleNanos || !s.idle()) continue;
            if (!s.lock.tryLock()) continue;
            try {
                if (s.idle() && users.remove(s.name, s)) {
                    s.evicted = true;
                    n++;
                }
            } finally {
                s.lock.unlock();
            }
        }
        return n;
    }
}
