// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.changelog;

import dev.cairn.store.Account;
import dev.cairn.store.BodyId;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.changelog.Change.*;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The binary form of a {@link ChangeRecord}: a version byte, then the record. A reader refuses a
 * version it does not know instead of guessing; a new field means a new version.
 *
 * <p>Version 2 adds an appended message's UTC offset (int seconds) after its internal date;
 * version 1 records read as +0000. A writer uses the oldest version that holds the record, so a
 * record with no offset other than +0000 keeps version 1's bytes: an older replica (reading only
 * version 1) applies everything but an append dated in another zone, which it refuses as a bad
 * frame (the master reconnects and retries; nothing is applied) until it is upgraded.
 *
 * <p>Version 3 (2026-12-07) is version 2 that may also hold account changes ({@code AccountSet},
 * {@code AccountRemoved}); only records holding one are written as version 3, so an older reader
 * refuses exactly those, by their version.
 *
 * <p>Change type 15 (UidValidityChanged) came later within versions 1 and 2: a reader that
 * predates it refuses a record holding one as corrupt (an unknown type) instead of skipping it.
 */
public final class ChangeCodec {
    private ChangeCodec() {}

    public static final int VERSION = 3;
    private static final int INSTANT_ONLY = 1, WITH_OFFSETS = 2;

    private static final int USER_CREATED = 1, USER_DELETED = 2, MAILBOX_CREATED = 3, MAILBOX_RENAMED = 4,
            MAILBOX_DELETED = 5, APPENDED = 6, FLAGS_SET = 7, EXPUNGED = 8, SUBSCRIBED = 9, UNSUBSCRIBED = 10,
            ACL_SET = 11, UID_NEXT_RAISED = 12, ACCOUNT_SET = 13, ACCOUNT_REMOVED = 14, UID_VALIDITY_CHANGED = 15;

    public static byte[] encode(ChangeRecord record) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            int version = carriesAccounts(record) ? VERSION : carriesOffsets(record) ? WITH_OFFSETS : INSTANT_ONLY;
            out.writeByte(version);
            writeString(out, record.user());
            out.writeLong(record.seq());
            out.writeLong(record.epoch());
            out.writeLong(record.time().toEpochMilli());
            out.writeInt(record.changes().size());
            for (Change c : record.changes()) write(out, c, version);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Decodes a record from the log or from the master. Damaged bytes fail with
     * IllegalArgumentException, and no count in them is trusted further than the bytes that remain.
     */
    public static ChangeRecord decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int version = in.readUnsignedByte();
            if (version < INSTANT_ONLY || version > VERSION) throw new IllegalArgumentException("unknown change record version " + version);
            String user = readString(in);
            long seq = in.readLong(), epoch = in.readLong();
            Instant time = Instant.ofEpochMilli(in.readLong());
            int n = count(in, 1);
            List<Change> changes = new ArrayList<>(n);
            for (int i = 0; i < n; i++) changes.add(read(in, version));
            return new ChangeRecord(user, seq, epoch, time, changes);
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt change record", e);
        }
    }

    private static boolean carriesAccounts(ChangeRecord record) {
        for (Change c : record.changes()) if (c instanceof AccountSet || c instanceof AccountRemoved) return true;
        return false;
    }

    private static boolean carriesOffsets(ChangeRecord record) {
        for (Change c : record.changes()) {
            if (!(c instanceof MessagesAppended a)) continue;
            for (AppendedMessage m : a.messages()) if (m.internalDate().getOffset().getTotalSeconds() != 0) return true;
        }
        return false;
    }

    private static void write(DataOutput out, Change change, int version) throws IOException {
        switch (change) {
            case UserCreated c -> { out.writeByte(USER_CREATED); writeString(out, c.user()); }
            case UserDeleted c -> { out.writeByte(USER_DELETED); writeString(out, c.user()); }
            case MailboxCreated c -> {
                out.writeByte(MAILBOX_CREATED);
                writeString(out, c.id().value()); writeString(out, c.name()); out.writeLong(c.uidValidity());
                out.writeInt(specialUseBits(c.specialUse()));
            }
            case MailboxRenamed c -> {
                out.writeByte(MAILBOX_RENAMED);
                writeString(out, c.id().value()); writeString(out, c.oldName()); writeString(out, c.newName());
            }
            case MailboxDeleted c -> { out.writeByte(MAILBOX_DELETED); writeString(out, c.id().value()); writeString(out, c.name()); }
            case MessagesAppended c -> {
                out.writeByte(APPENDED);
                writeString(out, c.mailbox().value());
                out.writeInt(c.messages().size());
                for (AppendedMessage m : c.messages()) {
                    out.writeLong(m.uid()); writeFlags(out, m.flags());
                    out.writeLong(m.internalDate().toInstant().toEpochMilli());
                    if (version >= 2) out.writeInt(m.internalDate().getOffset().getTotalSeconds());
                    out.writeLong(m.saveDate().toEpochMilli());
                    out.writeLong(m.size()); out.write(m.body().bytes()); writeString(out, m.threadId());
                }
            }
            case FlagsSet c -> {
                out.writeByte(FLAGS_SET);
                writeString(out, c.mailbox().value());
                out.writeInt(c.messages().size());
                for (FlagState m : c.messages()) { out.writeLong(m.uid()); writeFlags(out, m.flags()); }
            }
            case MessagesExpunged c -> {
                out.writeByte(EXPUNGED);
                writeString(out, c.mailbox().value());
                out.writeInt(c.uids().size());
                for (long uid : c.uids()) out.writeLong(uid);
            }
            case Subscribed c -> { out.writeByte(SUBSCRIBED); writeString(out, c.name()); }
            case Unsubscribed c -> { out.writeByte(UNSUBSCRIBED); writeString(out, c.name()); }
            case AclSet c -> {
                out.writeByte(ACL_SET);
                writeString(out, c.mailbox().value()); writeString(out, c.identifier()); writeString(out, c.rights());
            }
            case UidNextRaised c -> { out.writeByte(UID_NEXT_RAISED); writeString(out, c.mailbox().value()); out.writeLong(c.uidNext()); }
            case AccountSet c -> { out.writeByte(ACCOUNT_SET); writeAccount(out, c.account()); }
            case AccountRemoved c -> out.writeByte(ACCOUNT_REMOVED);
            case UidValidityChanged c -> {
                out.writeByte(UID_VALIDITY_CHANGED); writeString(out, c.mailbox().value()); out.writeLong(c.uidValidity());
            }
        }
    }

    private static Change read(DataInputStream in, int version) throws IOException {
        int type = in.readUnsignedByte();
        return switch (type) {
            case USER_CREATED -> new UserCreated(readString(in));
            case USER_DELETED -> new UserDeleted(readString(in));
            case MAILBOX_CREATED -> new MailboxCreated(mailboxId(in), readString(in), in.readLong(),
                    specialUses(in.readInt()));
            case MAILBOX_RENAMED -> new MailboxRenamed(mailboxId(in), readString(in), readString(in));
            case MAILBOX_DELETED -> new MailboxDeleted(mailboxId(in), readString(in));
            case APPENDED -> {
                MailboxId id = mailboxId(in);
                int n = count(in, 8 + 3 + 8 + 8 + 8 + BodyId.LENGTH + 4);
                List<AppendedMessage> ms = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    long uid = in.readLong();
                    Flags flags = readFlags(in);
                    Instant internal = Instant.ofEpochMilli(in.readLong());
                    ZoneOffset offset = version >= 2 ? offset(in.readInt()) : ZoneOffset.UTC;
                    Instant save = Instant.ofEpochMilli(in.readLong());
                    long size = in.readLong();
                    byte[] sha = new byte[BodyId.LENGTH];
                    in.readFully(sha);
                    ms.add(new AppendedMessage(uid, flags, internal.atOffset(offset), save, size, BodyId.of(sha), readString(in)));
                }
                yield new MessagesAppended(id, ms);
            }
            case FLAGS_SET -> {
                MailboxId id = mailboxId(in);
                int n = count(in, 8 + 3);
                List<FlagState> ms = new ArrayList<>(n);
                for (int i = 0; i < n; i++) ms.add(new FlagState(in.readLong(), readFlags(in)));
                yield new FlagsSet(id, ms);
            }
            case EXPUNGED -> {
                MailboxId id = mailboxId(in);
                int n = count(in, 8);
                List<Long> uids = new ArrayList<>(n);
                for (int i = 0; i < n; i++) uids.add(in.readLong());
                yield new MessagesExpunged(id, uids);
            }
            case SUBSCRIBED -> new Subscribed(readString(in));
            case UNSUBSCRIBED -> new Unsubscribed(readString(in));
            case ACL_SET -> new AclSet(mailboxId(in), readString(in), readString(in));
            case UID_NEXT_RAISED -> new UidNextRaised(mailboxId(in), in.readLong());
            case ACCOUNT_SET -> {
                if (version < 3) throw new IOException("an account change in a version " + version + " record");
                yield new AccountSet(readAccount(in));
            }
            case ACCOUNT_REMOVED -> {
                if (version < 3) throw new IOException("an account change in a version " + version + " record");
                yield new AccountRemoved();
            }
            case UID_VALIDITY_CHANGED -> new UidValidityChanged(mailboxId(in), in.readLong());
            default -> throw new IOException("unknown change type " + type);
        };
    }

    /** An account: also the value the slot keeps for it (its own version byte first, for the fields to come). */
    public static void writeAccount(DataOutput out, Account a) throws IOException {
        out.writeByte(1);
        writeString(out, a.passwordHash());
        writeString(out, a.primaryAddress().orElse(null));
        out.writeInt(a.aliases().size());
        for (String alias : a.aliases()) writeString(out, alias);
        out.writeLong(a.storageLimit());
        out.writeLong(a.messageLimit());
        writeString(out, a.group().orElse(null));
        out.writeLong(a.created().toEpochMilli());
        out.writeBoolean(a.disabled());
    }

    public static Account readAccount(DataInputStream in) throws IOException {
        int version = in.readUnsignedByte();
        if (version != 1) throw new IOException("unknown account version " + version);
        String hash = readString(in);
        String primary = readString(in);
        int n = count(in, 4);
        List<String> aliases = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String alias = readString(in);
            if (alias == null) throw new IOException("alias missing");
            aliases.add(alias);
        }
        long storage = in.readLong(), messages = in.readLong();
        if (storage < -1 || messages < -1) throw new IOException("quota limit below -1");
        String group = readString(in);
        Instant created = Instant.ofEpochMilli(in.readLong());
        boolean disabled = in.readBoolean();
        return new Account(hash, java.util.Optional.ofNullable(primary), aliases, storage, messages,
                java.util.Optional.ofNullable(group), created, disabled);
    }

    public static byte[] encodeAccount(Account a) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            DataOutputStream out = new DataOutputStream(bytes);
            writeAccount(out, a);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Account decodeAccount(byte[] data) {
        try {
            return readAccount(new DataInputStream(new ByteArrayInputStream(data)));
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt account", e);
        }
    }

    /** A count of items of at least {@code minBytes} each, checked against the bytes that remain. */
    private static int count(DataInputStream in, int minBytes) throws IOException {
        int n = in.readInt();
        if (n < 0 || (long) n * minBytes > in.available()) throw new IOException("count " + n + " exceeds the record");
        return n;
    }

    private static ZoneOffset offset(int seconds) throws IOException {
        try {
            return ZoneOffset.ofTotalSeconds(seconds);
        } catch (java.time.DateTimeException e) {
            throw new IOException("offset " + seconds + " out of range");
        }
    }

    private static MailboxId mailboxId(DataInput in) throws IOException {
        String id = readString(in);
        if (id == null) throw new IOException("mailbox id missing");
        return new MailboxId(id);
    }

    static void writeFlags(DataOutput out, Flags flags) throws IOException {
        out.writeByte(flags.system());
        out.writeShort(flags.keywords().size());
        for (String k : flags.keywords()) writeString(out, k);
    }

    static Flags readFlags(DataInput in) throws IOException {
        int system = in.readUnsignedByte();
        int n = in.readUnsignedShort();
        List<String> k = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String keyword = readString(in);
            if (keyword == null) throw new IOException("keyword missing");
            k.add(keyword);
        }
        return new Flags(system, Set.copyOf(k));
    }

    public static int specialUseBits(Set<SpecialUse> uses) {
        int bits = 0;
        for (SpecialUse u : uses) bits |= 1 << u.ordinal();
        return bits;
    }

    public static Set<SpecialUse> specialUses(int bits) {
        EnumSet<SpecialUse> s = EnumSet.noneOf(SpecialUse.class);
        for (SpecialUse u : SpecialUse.values()) if ((bits & (1 << u.ordinal())) != 0) s.add(u);
        return s;
    }

    /** A length-prefixed UTF-8 string; length -1 is null. Not writeUTF: that caps at 64 KiB and mangles NUL. */
    public static void writeString(DataOutput out, String s) throws IOException {
        if (s == null) { out.writeInt(-1); return; }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    public static String readString(DataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        if (n > 64 << 20) throw new IOException("string length " + n);
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
