// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.Account;
import dev.cairn.store.BodyId;
import dev.cairn.store.CheckReport;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.ChangeLog;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.zip.CRC32;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * The RocksDB slot store: one database per slot, one committer thread, users loaded on demand
 * and kept in memory while they have open views (see {@link UserState}).
 *
 * <p>Its rooms: {@link SlotDatabase} (RocksDB, its options and reads), {@link UserRegistry} (the
 * users, loaded and evicted, created and deleted), {@link BodyStore} (bodies, their parses,
 * reference counts and stripe locks), {@link BodyReclaimer} (the space of deleted bodies),
 * {@link BodyLogOpening} (live counts and the migration of old slots at open), the
 * {@link Committer}, and {@link RocksSlotReplication}; this class opens and closes them, and gives
 * the engine's other classes one place to reach them.
 *
 * <p>Bodies are stored once per slot by SHA-256, with a reference count changed in the same
 * batch as the messages that reference it. A commit that changes a body's count holds that
 * body's stripe lock from reading the count until the batch is durable, so two users appending
 * the same new body, or one expunging its last reference while another adds one, never both act
 * on a stale count. A count reaching 0 deletes the body in the same batch: the slot never holds
 * an unreferenced body ("orphan": a body, parse or count entry whose count is 0 or that no
 * message references), and check() reports one if it finds it.
 */
public final class RocksSlotStore implements SlotStore {
    private final SlotConfig config;
    /** The node's RocksDB memory; closed with the slot when the slot made it for itself. */
    final StoreMemory memory;
    private final boolean ownsMemory;
    private final SlotDatabase database;
    final RocksDB db;
    final ColumnFamilyHandle meta, index, messages, tombstones, bodies, parsed, refcounts, changelog;
    final Committer committer;
    final BodyLog bodyLog;
    /** Every failed commit, by cause: the committer's and the bodies' that never reached it. */
    final WriteFailures writeFailures;
    private final BodyStore bodyStore;
    private final BodyReclaimer reclaimer;
    private final UserRegistry registry;
    /** Held while a user is created, deleted or replaced (see {@link UserRegistry}). */
    final ReentrantLock userRegistry;
    private final SecureRandom random = new SecureRandom();
    final RocksChangeLog changeLog;
    private final RocksSlotReplication replication;
    /** What each change does to this slot, for the master's commands and a replica's apply alike. */
    final ChangeApplier applier = new ChangeApplier(this);
    /** The users' accounts and the address index (see {@link Accounts}). */
    final Accounts accounts = new Accounts(this);

    private RocksSlotStore(SlotConfig config, StoreMemory memory, boolean ownsMemory) throws RocksDBException, IOException {
        this.config = config;
        this.memory = memory;
        this.ownsMemory = ownsMemory;
        UserRegistry.checkDefaultFolders(config.defaultFolders()); // before anything is opened
        database = new SlotDatabase(config, memory);
        db = database.db;
        meta = database.meta; index = database.index; messages = database.messages; tombstones = database.tombstones;
        bodies = database.bodies; parsed = database.parsed; refcounts = database.refcounts; changelog = database.changelog;
        bodyLog = new BodyLog(config.bodiesDir().resolve("segments"), Long.getLong("cairn.store.bodySegmentSize", BodyLog.SEGMENT_SIZE));
        BodyLogOpening.run(database, bodyLog, config);
        writeFailures = new WriteFailures(config.meters());
        committer = new Committer(db, bodyLog, config.sync(), config.meters(), writeFailures, config.metadataDir());
        bodyStore = new BodyStore(database, bodyLog, writeFailures);
        changeLog = new RocksChangeLog(this);
        registry = new UserRegistry(this, database, config.meters());
        userRegistry = registry.lock;
        reclaimer = new BodyReclaimer(database, bodyStore, bodyLog, writeFailures, this::commitDurably, config.meters());
        replication = new RocksSlotReplication(this);
        Gauge.builder("cairn.store.bodies.bytes", this, s -> s.bodySpace()[0]).baseUnit("bytes")
                .description("size of the segment files holding message bodies").register(config.meters());
        Gauge.builder("cairn.store.bodies.garbage.bytes", this, s -> s.bodySpace()[1]).baseUnit("bytes")
                .description("bytes of deleted bodies still in segment files").register(config.meters());
    }

    /** Opens (creating if needed) the slot, with RocksDB memory of its own ({@link StoreMemory#STANDALONE}). */
    public static SlotStore open(SlotConfig config) {
        StoreMemory memory = new StoreMemory(StoreMemory.STANDALONE);
        try {
            return open(config, memory, true);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /** Opens (creating if needed) the slot, sharing the node's RocksDB memory; close that after the slot. */
    public static SlotStore open(SlotConfig config, StoreMemory memory) {
        return open(config, memory, false);
    }

    private static SlotStore open(SlotConfig config, StoreMemory memory, boolean ownsMemory) {
        try {
            return new RocksSlotStore(config, memory, ownsMemory);
        } catch (RocksDBException | IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot open slot at " + config.metadataDir() + ": " + e.getMessage(), e);
        }
    }

    @Override public SlotConfig config() { return config; }

    @Override public ChangeLog changeLog() { return changeLog; }

    long epoch() { return replication.epoch(); }

    @Override public RocksSlotReplication replication() { return replication; }

    @Override public Runnable onFenced(FenceListener listener) { return replication.onFenced(listener); }

    // --- users (UserRegistry) ------------------------------------------------------------------

    @Override public UserStore user(String user) {
        UserState s = state(user);
        if (s == null) throw new StoreException(Reason.NO_SUCH_USER, "no such user: " + user);
        return new UserHandle(this, user);
    }

    /** See {@link UserRegistry#openState}. */
    UserState openState(String user) { return registry.openState(user); }

    /** The loaded state of a user, loading it if the user exists; null if it does not. */
    UserState state(String user) { return registry.state(user); }

    Integer userId(String user) { return registry.userId(user); }

    /** See {@link UserRegistry#replaced}. */
    void replaced(UserState s, long seq) { registry.replaced(s, seq); }

    @Override public UserStore openOrCreateUser(String user) {
        registry.create(user);
        return new UserHandle(this, user);
    }

    @Override public boolean hasUser(String user) {
        database.checkOpen();
        return userId(user) != null;
    }

    @Override public List<String> users() { return registry.users(); }

    @Override public void deleteUser(String user) {
        accounts.lock.lock(); // the account's addresses leave the index in the same commit
        try {
            registry.delete(user);
        } finally {
            accounts.lock.unlock();
        }
    }

    // --- accounts (Accounts) -------------------------------------------------------------------

    @Override public Optional<Account> account(String user) {
        database.checkOpen();
        return accounts.find(user);
    }

    @Override public Optional<String> accountOf(String address) {
        database.checkOpen();
        return Optional.ofNullable(accounts.owner(address));
    }

    @Override public void setAccount(String user, Account account) { accounts.setAccount(user, account); }

    @Override public boolean removeAccount(String user) {
        database.checkOpen();
        return accounts.removeAccount(user);
    }

    /** The user's current state with its write lock held (never an evicted one), or null. */
    UserState lockedState(String user) { return registry.lockedState(user); }

    /** Drops users from memory that no session holds a view of (they reload on next use). */
    public int evictIdleUsers(long idleNanos) { return registry.evictIdle(idleNanos); }

    @Override public CheckReport check(String userOrNull, boolean repair) {
        database.checkOpen();
        return new Checker(this).run(userOrNull, repair);
    }

    @Override public int channels() { return config.channels(); }

    @Override public int channelOf(String user) {
        CRC32 crc = new CRC32();
        crc.update(user.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % config.channels());
    }

    // --- bodies (BodyStore, BodyReclaimer) -----------------------------------------------------

    BodyStore.BodyLocks lockBodies(Collection<BodyId> ids) { return bodyStore.lock(ids); }

    /** Every stripe: no commit that changes a reference count runs while held (check). */
    BodyStore.BodyLocks lockAllBodies() { return bodyStore.lockAll(); }

    long refcount(BodyId id) { return bodyStore.refcount(id); }

    void putRefcount(WriteOps ops, BodyId id, long count) { bodyStore.putRefcount(ops, id, count); }

    /** Appends the body to the body log now; its location (and parse) go into the batch. */
    void writeBody(WriteOps ops, PreparedBody p) { bodyStore.write(ops, p); }

    void deleteBody(WriteOps ops, BodyId id) { bodyStore.delete(ops, id); }

    boolean hasBody(BodyId id) { return bodyStore.has(id); }

    boolean hasParsed(BodyId id) { return bodyStore.hasParsed(id); }

    ParsedMessage parsed(BodyId id) { return bodyStore.parsed(id); }

    /** The whole body as a snapshot saw it (see {@link BodyStore#read}). */
    byte[] readBody(BodyId id, ReadOptions snapshot) throws IOException { return bodyStore.read(id, snapshot); }

    /** Streams a body from its segment (see {@link BodyStore#open}). */
    InputStream openBody(BodyId id) throws IOException { return bodyStore.open(id); }

    /** {bytes in body segment files, bytes of deleted bodies in them}; zeros when the slot is closed. */
    long[] bodySpace() { return reclaimer.bodySpace(); }

    /** See {@link BodyReclaimer#reclaimBodySpace}. */
    public boolean reclaimBodySpace(double minGarbageRatio) { return reclaimer.reclaimBodySpace(minGarbageRatio); }

    // --- committing ------------------------------------------------------------------------------

    /** Hands the batch to the committer and waits until it is durable. */
    void commitDurably(WriteOps ops) {
        try {
            database.checkOpen();
            ops.submitted();
            committer.submit(ops).get();
        } catch (ExecutionException e) {
            throw new StoreException(Reason.UNAVAILABLE, "write failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            // The batch may still become durable; the caller cannot know, as after a crash.
            Thread.currentThread().interrupt();
            throw new StoreException(Reason.UNAVAILABLE, "interrupted while committing");
        } finally {
            // Its bodies' segments may be reclaimed again. Callers that append bodies end the
            // batch in their own finally too, for a batch abandoned before it got here.
            ops.commitEnded(bodyLog);
        }
    }

    /**
     * For readers that hand data out of the process without the user's lock: waits until what
     * they read is durable (see {@link Committer}: a group is visible up to one fsync early).
     */
    void awaitDurable() {
        try {
            committer.awaitDurable();
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(Reason.UNAVAILABLE, "interrupted while waiting for the WAL fsync");
        }
    }

    dev.cairn.store.MailboxId newMailboxId() {
        byte[] b = new byte[12];
        random.nextBytes(b);
        return new dev.cairn.store.MailboxId("F" + Base64.getUrlEncoder().withoutPadding().encodeToString(b));
    }

    // --- the database (SlotDatabase) ---------------------------------------------------------------

    /** See {@link SlotDatabase#putUnsynced}: \Recent marks, never mail data. */
    void putUnsynced(ColumnFamilyHandle cf, byte[] key, byte[] value) { database.putUnsynced(cf, key, value); }

    byte[] get(ColumnFamilyHandle cf, byte[] key) { return database.get(cf, key); }

    List<byte[]> multiGet(ColumnFamilyHandle cf, List<byte[]> keys) { return database.multiGet(cf, keys); }

    /** Every key with the prefix, in order. */
    void scan(ColumnFamilyHandle cf, byte[] prefix, BiConsumer<byte[], byte[]> each) { database.scan(cf, prefix, each); }

    /** A long scan, on a platform thread when the caller is virtual (see {@link SlotDatabase}). */
    <T> T longScan(Callable<T> scan) { return database.longScan(scan); }

    /** Holds the slot open for a read; UNAVAILABLE if it is closed. Unlock when done. */
    Lock reading() { return database.reading(); }

    @Override public void close() {
        if (database.closed()) return;
        registry.stop();
        reclaimer.stop();
        database.stopScans();
        committer.close();
        bodyLog.close();
        if (database.close() && ownsMemory) memory.close();
    }
}
