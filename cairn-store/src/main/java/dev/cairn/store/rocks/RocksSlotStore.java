// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.CheckReport;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.mime.ParsedCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.zip.CRC32;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.DbPath;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * The RocksDB slot store: one database per slot, one committer thread, users loaded on demand
 * and kept in memory while they have open views (see {@link UserState}).
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
    /** How much of a body a stream reads at a time. */
    static final int CHUNK = 1 << 20;
    static final long METADATA_WRITE_BUFFER = Long.getLong("cairn.store.metadataWriteBuffer", 4L << 20);
    // Many stripes: 64 concurrent writers of different bodies rarely share one (and so an fsync wait).
    private static final int STRIPES = 4096;

    private final SlotConfig config;
    /** The node's RocksDB memory; closed with the slot when the slot made it for itself. */
    final StoreMemory memory;
    private final boolean ownsMemory;
    final RocksDB db;
    private final DBOptions dbOptions;
    private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    final ColumnFamilyHandle meta, index, messages, tombstones, bodies, parsed, refcounts, changelog;
    final Committer committer;
    final BodyLog bodyLog;
    /** Every failed commit, by cause: the committer's and the bodies' that never reached it. */
    final WriteFailures writeFailures;
    private final Map<String, UserState> users = new ConcurrentHashMap<>();
    final ReentrantLock userRegistry = new ReentrantLock();
    private final ReentrantLock[] bodyStripes = new ReentrantLock[STRIPES];
    private final SecureRandom random = new SecureRandom();
    final RocksChangeLog changeLog;
    private final SlotReplication replication;
    /** What each change does to this slot, for the master's commands and a replica's apply alike. */
    final ChangeApplier applier = new ChangeApplier(this);
    /** For {@link #putUnsynced}. */
    private final org.rocksdb.WriteOptions unsynced;
    private volatile boolean closed;
    /** Reads hold it shared, close() exclusively: no native call ever runs on a closed database. */
    private final java.util.concurrent.locks.ReentrantReadWriteLock lifecycle = new java.util.concurrent.locks.ReentrantReadWriteLock();

    private RocksSlotStore(SlotConfig config, StoreMemory memory, boolean ownsMemory) throws RocksDBException, IOException {
        this.config = config;
        this.memory = memory;
        this.ownsMemory = ownsMemory;
        RocksDB.loadLibrary();
        unsynced = new org.rocksdb.WriteOptions().setSync(false);
        Files.createDirectories(config.metadataDir());
        Files.createDirectories(config.bodiesDir());
        // Recycled WAL files and direct I/O for flush and compaction keep the page cache out of
        // the write path: on a virtual machine whose freed memory goes back to the host, every
        // page a new file touches is a fault to the host (in AppendBench they cost a third of
        // all CPU); a recycled WAL overwrites pages that are already there.
        boolean direct = DirectIo.supported(config.metadataDir()) && DirectIo.supported(config.bodiesDir());
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2).setKeepLogFileNum(5).setRecycleLogFileNum(4)
                .setUseDirectIoForFlushAndCompaction(direct).setWriteBufferManager(memory.writeBuffers());
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        for (String name : List.of("default", "meta", "index", "messages", "tombstones", "bodies", "parsed", "refcounts", "changelog")) {
            // Bodies themselves are in the BodyLog; the bodies column family holds their locations.
            // Its files stay beside the segments, where slots from before 2026-12-05 have theirs.
            ColumnFamilyOptions o = new ColumnFamilyOptions();
            if (name.equals("bodies")) o.setCfPaths(List.of(new DbPath(config.bodiesDir(), Long.MAX_VALUE)));
            // One cache for the node (StoreMemory); index and filter blocks in it too, those of
            // level 0 (read by every lookup) pinned there.
            o.setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(new org.rocksdb.BloomFilter(10))
                    .setBlockCache(memory.cache()).setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true));
            o.setCompressionType(CompressionType.LZ4_COMPRESSION);
            // Small memtables for small records: an insert walks a skip list whose nodes are
            // cache misses, so fewer entries per memtable is a shorter walk.
            o.setWriteBufferSize(METADATA_WRITE_BUFFER);
            cfOptions.add(o);
            descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), o));
        }
        db = RocksDB.open(dbOptions, config.metadataDir().toString(), descriptors, handles);
        meta = handles.get(1); index = handles.get(2); messages = handles.get(3); tombstones = handles.get(4);
        bodies = handles.get(5); parsed = handles.get(6); refcounts = handles.get(7); changelog = handles.get(8);
        for (int i = 0; i < STRIPES; i++) bodyStripes[i] = new ReentrantLock();
        bodyLog = new BodyLog(config.bodiesDir().resolve("segments"), Long.getLong("cairn.store.bodySegmentSize", BodyLog.SEGMENT_SIZE));
        openBodies();
        writeFailures = new WriteFailures(config.meters());
        committer = new Committer(db, bodyLog, config.sync(), config.meters(), writeFailures, config.metadataDir());
        changeLog = new RocksChangeLog(this);
        evictor = Thread.ofPlatform().name("cairn-evictor").daemon(true).start(this::evictLoop);
        reclaimer = Thread.ofPlatform().name("cairn-reclaimer").daemon(true).start(this::reclaimLoop);
        reclaims = Counter.builder("cairn.store.bodies.reclaims")
                .description("body segments reclaimed (live bodies moved out, file deleted)").register(config.meters());
        replication = new SlotReplication(this);
        Gauge.builder("cairn.store.users.open", users, Map::size).description("users held in memory").register(config.meters());
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

    /** Replication's hooks into this slot: fence, epoch, commit hook, apply, reservations, resync. */
    public SlotReplication replication() { return replication; }

    @Override public Runnable onFenced(FenceListener listener) { return replication.onFenced(listener); }

    // --- users ---------------------------------------------------------------------------------

    @Override public UserStore user(String user) {
        UserState s = state(user);
        if (s == null) throw new StoreException(Reason.NO_SUCH_USER, "no such user: " + user);
        return new UserHandle(this, user);
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
        checkOpen();
        UserState s = users.get(user);
        if (s != null && !s.deleted) return s;
        userRegistry.lock();
        try {
            s = users.get(user);
            if (s != null && !s.deleted) return s;
            Integer id = userId(user);
            if (id == null) return null;
            s = new UserState(this, user, id, UserState.load(this, id));
            users.put(user, s);
            return s;
        } finally {
            userRegistry.unlock();
        }
    }

    Integer userId(String user) {
        UserState open = openState(user);
        if (open != null) return open.id;
        byte[] v = get(meta, Keys.userTagString(0, Keys.USER_BY_NAME, user));
        return v == null ? null : java.nio.ByteBuffer.wrap(v).getInt();
    }

    @Override public UserStore openOrCreateUser(String user) {
        createUser(user);
        return new UserHandle(this, user);
    }

    private UserState createUser(String user) {
        UserState s = state(user);
        if (s != null) return s;
        validateUserName(user);
        userRegistry.lock();
        try {
            s = users.get(user);
            if (s != null && !s.deleted) return s;
            if (userId(user) != null) return state(user);
            int id = applier.nextUserId();
            UserHeader header = applier.newUserHeader(user);
            UserState created = new UserState(this, user, id, UserState.index(header, new TreeMap<>(), new TreeSet<>()));
            created.write(t -> {
                applier.registerUser(t.ops, id, user);
                t.add(new Change.UserCreated(user));
                record Default(String name, SpecialUse use) {}
                for (Default d : List.of(new Default("INBOX", null), new Default("Drafts", SpecialUse.DRAFTS),
                        new Default("Sent", SpecialUse.SENT), new Default("Junk", SpecialUse.JUNK),
                        new Default("Trash", SpecialUse.TRASH), new Default("Archive", SpecialUse.ARCHIVE))) {
                    created.mailboxCommands.create(t, d.name(), d.use() == null ? Set.of() : Set.of(d.use()));
                    applier.subscribe(t, d.name(), true);
                    t.add(new Change.Subscribed(d.name()));
                }
                return null;
            });
            users.put(user, created);
            return created;
        } finally {
            userRegistry.unlock();
        }
    }

    private static void validateUserName(String user) {
        if (user == null || user.isEmpty() || user.getBytes(StandardCharsets.UTF_8).length > 255
                || user.chars().anyMatch(c -> c < 0x21 || c == 0x7F)) {
            throw new StoreException(Reason.INVALID_ARGUMENT, "invalid user name");
        }
    }

    @Override public boolean hasUser(String user) {
        checkOpen();
        return userId(user) != null;
    }

    @Override public List<String> users() {
        checkOpen();
        List<String> out = new ArrayList<>();
        byte[] prefix = Keys.userTag(0, Keys.USER_BY_NAME);
        scan(meta, prefix, (k, v) -> out.add(new String(k, prefix.length, k.length - prefix.length, StandardCharsets.UTF_8)));
        return out;
    }

    @Override public void deleteUser(String user) {
        userRegistry.lock();
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
            userRegistry.unlock();
        }
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

    private static final long IDLE_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(5);
    private final Thread evictor;

    private void evictLoop() {
        while (!closed) {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                continue;
            }
            try {
                if (!closed) evictIdleUsers(IDLE_NANOS);
            } catch (RuntimeException e) {
                // next round
            }
        }
    }

    // --- reclaiming the space of deleted bodies ------------------------------------------------

    /** A segment's bodies are moved out (and the file deleted) when at least this share of its bytes is garbage. */
    static final double RECLAIM_RATIO = 0.25;
    private static final long RECLAIM_MIN_BYTES = 64L << 20;
    private static final long RECLAIM_EVERY_MILLIS = 10 * 60_000;
    private final Thread reclaimer;
    private final Counter reclaims;
    private final ReentrantLock reclaiming = new ReentrantLock();

    private void reclaimLoop() {
        while (!closed) {
            try {
                Thread.sleep(RECLAIM_EVERY_MILLIS);
            } catch (InterruptedException e) {
                continue;
            }
            try {
                long[] space = bodySpace();
                if (!closed && space[1] >= RECLAIM_MIN_BYTES) reclaimBodySpace(RECLAIM_RATIO);
            } catch (RuntimeException e) {
                // next round
            }
        }
    }

    /** {bytes in body segment files, bytes of deleted bodies in them}; zeros when the slot is closed. */
    long[] bodySpace() {
        return closed ? new long[2] : bodyLog.space();
    }

    /**
     * Reclaims every sealed body segment of which at least {@code minGarbageRatio} is garbage: its
     * live bodies are appended to the active segment and their new locations committed (a few
     * at a time, each under its bodies' stripe locks, so appends and expunges go on meanwhile),
     * then the file is deleted once no reader has it open. True when a segment was reclaimed.
     */
    public boolean reclaimBodySpace(double minGarbageRatio) {
        reclaiming.lock();
        try {
            List<BodyLog.Segment> sparse = new ArrayList<>();
            for (BodyLog.Segment seg : bodyLog.sealed()) {
                // A commit still carrying one of its bodies may yet write a location into it.
                if (seg.pending.get() > 0) continue;
                long size = seg.end;
                if (size == 0 || (double) (size - Math.max(0, seg.live.get())) / size >= minGarbageRatio) sparse.add(seg);
            }
            if (sparse.isEmpty()) return false;
            Map<Integer, List<BodyId>> bySegment = new TreeMap<>();
            for (BodyLog.Segment seg : sparse) bySegment.put(seg.number, new ArrayList<>());
            scan(bodies, new byte[0], (k, v) -> {
                List<BodyId> in = bySegment.get(BodyLog.Location.decode(v).segment());
                if (in != null) in.add(BodyId.of(k));
            });
            for (BodyLog.Segment seg : sparse) {
                List<BodyId> ids = bySegment.get(seg.number);
                for (int from = 0; from < ids.size(); from += RECLAIM_BATCH) {
                    moveBodies(seg.number, ids.subList(from, Math.min(ids.size(), from + RECLAIM_BATCH)));
                }
                bodyLog.retire(seg);
                reclaims.increment();
            }
            return true;
        } finally {
            reclaiming.unlock();
        }
    }

    private static final int RECLAIM_BATCH = 64;

    /** Moves the bodies that still lie in a segment to the active one, durably. */
    private void moveBodies(int segment, List<BodyId> ids) {
        WriteOps ops = new WriteOps();
        try (BodyLocks held = lockBodies(ids)) {
            for (BodyId id : ids) {
                byte[] v = get(bodies, Keys.body(id));
                if (v == null) continue; // deleted meanwhile
                BodyLog.Location at = BodyLog.Location.decode(v);
                if (at.segment() != segment) continue;
                try {
                    byte[] bytes = bodyLog.read(at);
                    if (bytes == null) throw new IOException("segment " + segment + " retired while moving its bodies");
                    BodyLog.Location moved = bodyLog.append(bytes);
                    ops.appended(moved);
                    ops.put(bodies, Keys.body(id), moved.encode());
                } catch (IOException e) {
                    writeFailures.failed(1, e, bodyLog.dir());
                    throw new StoreException(Reason.UNAVAILABLE, "reclaiming body space failed: " + e.getMessage(), e);
                }
                bodyLog.deleted(at);
            }
            if (!ops.isEmpty()) commitDurably(ops);
        } finally {
            ops.commitEnded(bodyLog);
        }
    }

    /**
     * At open, one pass over the bodies column family: each segment's live bytes from the
     * locations, and the bodies of a slot written before 2026-12-05, which kept them in the
     * column family itself as chunks (RocksDB blob files). Those move into the body log, 256 at a
     * time: appended, forced, then one synced batch puts their locations and deletes their
     * chunks, so a crash midway leaves each body either where it was or moved; a compaction then
     * lets RocksDB drop the old blob files. Segments nothing points into go.
     */
    private void openBodies() throws RocksDBException, IOException {
        Map<Integer, Long> live = new java.util.HashMap<>();
        List<BodyId> legacy = new ArrayList<>();
        try (RocksIterator it = db.newIterator(bodies)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length == BodyId.LENGTH) {
                    BodyLog.Location at = BodyLog.Location.decode(it.value());
                    live.merge(at.segment(), (long) at.length(), Long::sum);
                } else if (k.length == BodyId.LENGTH + 4 && java.nio.ByteBuffer.wrap(k, BodyId.LENGTH, 4).getInt() == 0) {
                    legacy.add(BodyId.of(java.util.Arrays.copyOf(k, BodyId.LENGTH)));
                }
            }
            it.status();
        }
        bodyLog.countLive(live);
        if (!legacy.isEmpty()) moveLegacyBodies(legacy);
        // Counted, not looked up in the map: the move may have filled segments of its own.
        for (BodyLog.Segment seg : bodyLog.sealed()) if (!live.containsKey(seg.number) && seg.live.get() == 0) bodyLog.retire(seg);
    }

    private void moveLegacyBodies(List<BodyId> legacy) throws RocksDBException, IOException {
        org.slf4j.LoggerFactory.getLogger(RocksSlotStore.class).info("moving {} bodies of {} into the body log", legacy.size(), config.metadataDir());
        try (org.rocksdb.WriteOptions synced = new org.rocksdb.WriteOptions().setSync(config.sync())) {
            for (int from = 0; from < legacy.size(); from += 256) {
                List<BodyLog.Location> appended = new ArrayList<>();
                try (org.rocksdb.WriteBatch batch = new org.rocksdb.WriteBatch()) {
                    for (BodyId id : legacy.subList(from, Math.min(legacy.size(), from + 256))) {
                        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                        byte[] chunk;
                        for (int i = 0; (chunk = db.get(bodies, Keys.legacyChunk(id, i))) != null; i++) body.writeBytes(chunk);
                        BodyLog.Location at = bodyLog.append(body.toByteArray());
                        appended.add(at);
                        batch.put(bodies, Keys.body(id), at.encode());
                        batch.deleteRange(bodies, Keys.legacyChunk(id, 0), Keys.after(Keys.body(id)));
                    }
                    if (config.sync()) bodyLog.force();
                    db.write(synced, batch);
                } finally {
                    for (BodyLog.Location at : appended) bodyLog.committed(at);
                }
            }
        }
        db.compactRange(bodies);
    }

    /** Drops users from memory that no session holds a view of (they reload on next use). */
    public int evictIdleUsers(long idleNanos) {
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

    @Override public CheckReport check(String userOrNull, boolean repair) {
        checkOpen();
        return new Checker(this).run(userOrNull, repair);
    }

    @Override public int channels() { return config.channels(); }

    @Override public int channelOf(String user) {
        CRC32 crc = new CRC32();
        crc.update(user.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % config.channels());
    }

    // --- bodies --------------------------------------------------------------------------------

    /** Stripe locks of some bodies, taken in stripe order (so two commits never wait on each other in a cycle). */
    final class BodyLocks implements AutoCloseable {
        private final List<ReentrantLock> held = new ArrayList<>();

        BodyLocks(Collection<BodyId> ids) {
            TreeSet<Integer> stripes = new TreeSet<>();
            if (ids == null) for (int i = 0; i < STRIPES; i++) stripes.add(i);
            else for (BodyId id : ids) stripes.add(id.hashCode() & (STRIPES - 1));
            for (int s : stripes) {
                bodyStripes[s].lock();
                held.add(bodyStripes[s]);
            }
        }

        @Override public void close() { for (ReentrantLock l : held.reversed()) l.unlock(); }
    }

    BodyLocks lockBodies(Collection<BodyId> ids) { return new BodyLocks(ids); }

    /** Every stripe: no commit that changes a reference count runs while held (check). */
    BodyLocks lockAllBodies() { return new BodyLocks(null); }

    long refcount(BodyId id) {
        byte[] v = get(refcounts, Keys.body(id));
        return v == null ? 0 : Keys.getLong(v);
    }

    void putRefcount(WriteOps ops, BodyId id, long count) { ops.put(refcounts, Keys.body(id), Keys.longBytes(count)); }

    /** Appends the body to the body log now; its location (and parse) go into the batch. */
    void writeBody(WriteOps ops, PreparedBody p) {
        BodyLog.Location at;
        try {
            at = bodyLog.append(p.bytes);
        } catch (IOException e) {
            // The commit fails here, before the committer sees it: counted and logged here.
            writeFailures.failed(1, e, bodyLog.dir());
            throw new StoreException(Reason.UNAVAILABLE, "cannot write the message body: " + e.getMessage(), e);
        }
        ops.appended(at);
        ops.put(bodies, Keys.body(p.id), at.encode());
        ops.put(parsed, Keys.body(p.id), ParsedCodec.encode(p.parsed()));
    }

    void deleteBody(WriteOps ops, BodyId id) {
        byte[] v = get(bodies, Keys.body(id));
        if (v != null) bodyLog.deleted(BodyLog.Location.decode(v));
        ops.delete(bodies, Keys.body(id));
        ops.delete(parsed, Keys.body(id));
        ops.delete(refcounts, Keys.body(id));
    }

    boolean hasBody(BodyId id) { return get(bodies, Keys.body(id)) != null; }

    boolean hasParsed(BodyId id) { return get(parsed, Keys.body(id)) != null; }

    ParsedMessage parsed(BodyId id) {
        byte[] v = get(parsed, Keys.body(id));
        if (v == null) throw new StoreException(Reason.NONEXISTENT, "no such body: " + id);
        return ParsedCodec.decode(v);
    }

    /** The body's segment, held for reading, and where the body lies in it. */
    private record HeldBody(BodyLog.Segment segment, BodyLog.Location at) {}

    /**
     * Finds a body and holds its segment: a segment reclaimed between reading the location and
     * holding it has moved its bodies, so the location is read again (a body's bytes never change).
     */
    private HeldBody hold(BodyId id, ReadOptions snapshot) {
        BodyLog.Location before = null;
        for (int attempt = 0; attempt < 8; attempt++) {
            byte[] v;
            if (attempt == 0 && snapshot != null) {
                java.util.concurrent.locks.Lock l = reading();
                try {
                    v = db.get(bodies, snapshot, Keys.body(id));
                } catch (RocksDBException e) {
                    throw new StoreException(Reason.UNAVAILABLE, e.getMessage(), e);
                } finally {
                    l.unlock();
                }
            } else v = get(bodies, Keys.body(id));
            if (v == null) throw new StoreException(Reason.NONEXISTENT, "no such body: " + id);
            BodyLog.Location at = BodyLog.Location.decode(v);
            BodyLog.Segment seg = bodyLog.acquire(at.segment());
            if (seg != null) return new HeldBody(seg, at);
            if (at.equals(before)) {
                throw new StoreException(Reason.UNAVAILABLE, "body " + id + " lies in segment " + at.segment() + ", which is not there");
            }
            before = at;
        }
        throw new StoreException(Reason.UNAVAILABLE, "body " + id + " keeps moving");
    }

    /**
     * The whole body, for a replica's copy of a user read from a snapshot: the body's location is
     * read from that snapshot, as the body may have been deleted since (its bytes stay in their
     * segment until it is reclaimed).
     */
    byte[] readBody(BodyId id, ReadOptions snapshot) throws IOException {
        HeldBody h = hold(id, snapshot);
        try {
            return h.segment().read(h.at().offset(), h.at().length());
        } finally {
            bodyLog.release(h.segment());
        }
    }

    /**
     * Streams a body from its segment, read CHUNK bytes at a time. The segment stays held until the
     * stream is closed, so neither an expunge nor reclaiming cuts the body short.
     */
    InputStream openBody(BodyId id) throws IOException {
        HeldBody h = hold(id, null);
        return new InputStream() {
            final long end = h.at().offset() + h.at().length();
            long next = h.at().offset();
            byte[] chunk = new byte[0];
            int pos;
            boolean closed;

            private boolean fill() throws IOException {
                if (pos < chunk.length) return true;
                if (closed) throw new IOException("body stream closed");
                if (next >= end) return false;
                int n = (int) Math.min(CHUNK, end - next);
                chunk = h.segment().read(next, n);
                next += n;
                pos = 0;
                return true;
            }

            @Override public int read() throws IOException {
                return fill() ? chunk[pos++] & 0xFF : -1;
            }

            @Override public int read(byte[] b, int off, int len) throws IOException {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) return 0;
                if (!fill()) return -1;
                int n = Math.min(len, chunk.length - pos);
                System.arraycopy(chunk, pos, b, off, n);
                pos += n;
                return n;
            }

            @Override public void close() {
                if (closed) return;
                closed = true;
                bodyLog.release(h.segment());
            }
        };
    }

    // --- committing ------------------------------------------------------------------------------

    /** Hands the batch to the committer and waits until it is durable. */
    void commitDurably(WriteOps ops) {
        try {
            checkOpen();
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
        } catch (org.rocksdb.RocksDBException e) {
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

    /**
     * Writes one key outside the change log and without waiting for an fsync: for this node's own
     * bookkeeping that a crash may set back a little (the \Recent marks), never for mail data.
     */
    void putUnsynced(ColumnFamilyHandle cf, byte[] key, byte[] value) {
        java.util.concurrent.locks.Lock l = reading();
        try {
            db.put(cf, unsynced, key, value);
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "write failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    // --- reading helpers -----------------------------------------------------------------------

    byte[] get(ColumnFamilyHandle cf, byte[] key) {
        java.util.concurrent.locks.Lock l = reading();
        try {
            return db.get(cf, key);
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "read failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    List<byte[]> multiGet(ColumnFamilyHandle cf, List<byte[]> keys) {
        if (keys.isEmpty()) return List.of();
        java.util.concurrent.locks.Lock l = reading();
        try {
            return db.multiGetAsList(java.util.Collections.nCopies(keys.size(), cf), keys);
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "read failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    /** Every key with the prefix, in order. */
    void scan(ColumnFamilyHandle cf, byte[] prefix, BiConsumer<byte[], byte[]> each) {
        java.util.concurrent.locks.Lock l = reading();
        try (Slice upper = prefix.length == 0 ? null : new Slice(Keys.after(prefix));
             ReadOptions ro = upper == null ? new ReadOptions() : new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = db.newIterator(cf, ro)) {
            for (it.seek(prefix); it.isValid(); it.next()) each.accept(it.key(), it.value());
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "read failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    /**
     * Long scans (opening a big mailbox's view) run here when the caller is a virtual thread: a
     * scan is many native calls in a row, and on a virtual thread each would hold one of the few
     * carriers; on this bounded pool they hold a platform thread while the caller parks.
     */
    private final java.util.concurrent.ExecutorService scans = java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            Thread.ofPlatform().name("cairn-scan-", 0).daemon(true).factory());

    <T> T longScan(java.util.concurrent.Callable<T> scan) {
        try {
            if (!Thread.currentThread().isVirtual()) return scan.call();
            return scans.submit(scan).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new StoreException(Reason.UNAVAILABLE, "scan failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(Reason.UNAVAILABLE, "interrupted");
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new StoreException(Reason.UNAVAILABLE, "scan failed: " + e, e);
        }
    }

    /** Holds the slot open for a read; UNAVAILABLE if it is closed. Unlock when done. */
    java.util.concurrent.locks.Lock reading() {
        java.util.concurrent.locks.Lock l = lifecycle.readLock();
        l.lock();
        if (closed) {
            l.unlock();
            throw new StoreException(Reason.UNAVAILABLE, "slot is closed");
        }
        return l;
    }

    private void checkOpen() {
        if (closed) throw new StoreException(Reason.UNAVAILABLE, "slot is closed");
    }

    @Override public void close() {
        if (closed) return;
        evictor.interrupt();
        reclaimer.interrupt();
        scans.shutdown();
        committer.close();
        bodyLog.close();
        lifecycle.writeLock().lock();
        try {
            closeDatabase();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private void closeDatabase() {
        if (closed) return;
        closed = true;
        for (ColumnFamilyHandle h : handles) h.close();
        db.close();
        unsynced.close();
        dbOptions.close();
        for (ColumnFamilyOptions o : cfOptions) o.close();
        if (ownsMemory) memory.close();
    }
}
