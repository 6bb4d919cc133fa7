// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.ChangeCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A mailbox's persistent record: identity, UID/MODSEQ counters, message counters, and its keyword
 * table. Flags are stored as a 64-bit mask: bits 0-4 the system flags (as {@link Flags#system()}),
 * bit 5+i the mailbox's i-th keyword. Keywords are interned per mailbox on first use and never
 * removed, so a mailbox holds at most {@value #MAX_KEYWORDS} distinct keywords.
 *
 * <p>A published instance is never changed; a commit works on a {@link #copy()}.
 */
final class MailboxMeta {
    static final int MAX_KEYWORDS = 59;
    private static final int VERSION = 1;

    final int num;
    final MailboxId id;
    String name;
    long uidValidity, uidNext, highestModSeq;
    int specialUse;
    long messages, unseen, deleted, size;
    String[] keywords;

    MailboxMeta(int num, MailboxId id, String name, long uidValidity, long uidNext, long highestModSeq, int specialUse,
                long messages, long unseen, long deleted, long size, String[] keywords) {
        this.num = num; this.id = id; this.name = name; this.uidValidity = uidValidity; this.uidNext = uidNext;
        this.highestModSeq = highestModSeq; this.specialUse = specialUse; this.messages = messages; this.unseen = unseen;
        this.deleted = deleted; this.size = size; this.keywords = keywords;
    }

    MailboxMeta copy() {
        return new MailboxMeta(num, id, name, uidValidity, uidNext, highestModSeq, specialUse, messages, unseen, deleted,
                size, keywords);
    }

    MailboxInfo info() {
        return new MailboxInfo(id, name, uidValidity, uidNext, highestModSeq, ChangeCodec.specialUses(specialUse),
                messages, unseen, deleted, size);
    }

    /** The mask of these flags; new keywords are added to the table (on this copy) when {@code intern}. */
    long mask(Flags flags, boolean intern) {
        long mask = flags.system();
        for (String k : flags.keywords()) {
            int i = keywordIndex(k);
            if (i < 0) {
                if (!intern) continue;
                if (keywords.length >= MAX_KEYWORDS) {
                    throw new StoreException(StoreException.Reason.INVALID_ARGUMENT,
                            "mailbox " + name + " already has " + MAX_KEYWORDS + " keywords");
                }
                keywords = Arrays.copyOf(keywords, keywords.length + 1);
                i = keywords.length - 1;
                keywords[i] = k;
            }
            mask |= 1L << (5 + i);
        }
        return mask;
    }

    private int keywordIndex(String k) {
        for (int i = 0; i < keywords.length; i++) if (keywords[i].equalsIgnoreCase(k)) return i;
        return -1;
    }

    static Flags flags(long mask, String[] keywords) {
        int system = (int) (mask & 0x1F);
        if ((mask >>> 5) == 0) return system == 0 ? Flags.NONE : new Flags(system, java.util.Set.of());
        List<String> k = new ArrayList<>();
        for (int i = 0; i < keywords.length; i++) if ((mask & (1L << (5 + i))) != 0) k.add(keywords[i]);
        return new Flags(system, new java.util.HashSet<>(k));
    }

    Flags flags(long mask) { return flags(mask, keywords); }

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            ChangeCodec.writeString(out, id.value());
            ChangeCodec.writeString(out, name);
            out.writeLong(uidValidity); out.writeLong(uidNext); out.writeLong(highestModSeq); out.writeInt(specialUse);
            out.writeLong(messages); out.writeLong(unseen); out.writeLong(deleted); out.writeLong(size);
            out.writeShort(keywords.length);
            for (String k : keywords) ChangeCodec.writeString(out, k);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static MailboxMeta decode(int num, byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int v = in.readUnsignedByte();
            if (v != VERSION) throw new IOException("mailbox record version " + v);
            MailboxId id = new MailboxId(ChangeCodec.readString(in));
            String name = ChangeCodec.readString(in);
            long uv = in.readLong(), next = in.readLong(), hms = in.readLong();
            int su = in.readInt();
            long m = in.readLong(), u = in.readLong(), d = in.readLong(), s = in.readLong();
            String[] k = new String[in.readUnsignedShort()];
            for (int i = 0; i < k.length; i++) k[i] = ChangeCodec.readString(in);
            return new MailboxMeta(num, id, name, uv, next, hms, su, m, u, d, s, k);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override public String toString() { return name.toLowerCase(Locale.ROOT) + "#" + num; }
}
