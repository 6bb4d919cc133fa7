// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import static dev.cairn.store.changelog.ChangeCodec.readString;
import static dev.cairn.store.changelog.ChangeCodec.writeString;

import dev.cairn.store.ParsedMessage;
import dev.cairn.store.ParsedMessage.Address;
import dev.cairn.store.ParsedMessage.BodyPart;
import dev.cairn.store.ParsedMessage.Disposition;
import dev.cairn.store.ParsedMessage.Envelope;
import dev.cairn.store.ParsedMessage.Parameter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The stored form of a {@link ParsedMessage}: version byte, then the tree depth-first. */
public final class ParsedCodec {
    private ParsedCodec() {}

    private static final int VERSION = 1;

    public static byte[] encode(ParsedMessage m) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            envelope(out, m.envelope());
            out.writeLong(m.sentDate() == null ? Long.MIN_VALUE : m.sentDate().toEpochMilli());
            strings(out, m.references());
            part(out, m.structure());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a stored parse. Damaged bytes fail with UncheckedIOException, and no count in them is
     * trusted further than the bytes that remain.
     */
    public static ParsedMessage decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int v = in.readUnsignedByte();
            if (v != VERSION) throw new IOException("parsed message version " + v);
            Envelope e = envelope(in);
            long sent = in.readLong();
            List<String> refs = strings(in);
            return new ParsedMessage(e, sent == Long.MIN_VALUE ? null : Instant.ofEpochMilli(sent), refs, part(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void envelope(DataOutput out, Envelope e) throws IOException {
        out.writeBoolean(e != null);
        if (e == null) return;
        writeString(out, e.date()); writeString(out, e.subject());
        addresses(out, e.from()); addresses(out, e.sender()); addresses(out, e.replyTo());
        addresses(out, e.to()); addresses(out, e.cc()); addresses(out, e.bcc());
        writeString(out, e.inReplyTo()); writeString(out, e.messageId());
    }

    private static Envelope envelope(DataInputStream in) throws IOException {
        if (!in.readBoolean()) return null;
        return new Envelope(readString(in), readString(in), addresses(in), addresses(in), addresses(in), addresses(in),
                addresses(in), addresses(in), readString(in), readString(in));
    }

    private static void addresses(DataOutput out, List<Address> list) throws IOException {
        out.writeInt(list == null ? -1 : list.size());
        if (list == null) return;
        for (Address a : list) { writeString(out, a.name()); writeString(out, a.adl()); writeString(out, a.mailbox()); writeString(out, a.host()); }
    }

    private static List<Address> addresses(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        check(n, 16, in);
        List<Address> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(new Address(readString(in), readString(in), readString(in), readString(in)));
        return out;
    }

    private static void strings(DataOutput out, List<String> list) throws IOException {
        out.writeInt(list == null ? -1 : list.size());
        if (list != null) for (String s : list) writeString(out, s);
    }

    private static List<String> strings(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        check(n, 4, in);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(readString(in));
        return out;
    }

    private static void parameters(DataOutput out, List<Parameter> list) throws IOException {
        out.writeInt(list == null ? -1 : list.size());
        if (list != null) for (Parameter p : list) { writeString(out, p.name()); writeString(out, p.value()); }
    }

    private static List<Parameter> parameters(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        check(n, 8, in);
        List<Parameter> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(new Parameter(readString(in), readString(in)));
        return out;
    }

    private static void part(DataOutput out, BodyPart p) throws IOException {
        out.writeBoolean(p != null);
        if (p == null) return;
        writeString(out, p.type()); writeString(out, p.subtype()); parameters(out, p.parameters());
        writeString(out, p.id()); writeString(out, p.description()); writeString(out, p.encoding());
        out.writeLong(p.size()); out.writeLong(p.lines()); writeString(out, p.md5());
        out.writeBoolean(p.disposition() != null);
        if (p.disposition() != null) { writeString(out, p.disposition().type()); parameters(out, p.disposition().parameters()); }
        strings(out, p.language()); writeString(out, p.location());
        out.writeLong(p.headerOffset()); out.writeLong(p.bodyOffset()); out.writeLong(p.endOffset());
        out.writeInt(p.children().size());
        for (BodyPart c : p.children()) part(out, c);
        envelope(out, p.embeddedEnvelope());
        part(out, p.embedded());
    }

    private static BodyPart part(DataInputStream in) throws IOException {
        if (!in.readBoolean()) return null;
        String type = readString(in), subtype = readString(in);
        List<Parameter> params = parameters(in);
        String id = readString(in), description = readString(in), encoding = readString(in);
        long size = in.readLong(), lines = in.readLong();
        String md5 = readString(in);
        Disposition d = in.readBoolean() ? new Disposition(readString(in), parameters(in)) : null;
        List<String> language = strings(in);
        String location = readString(in);
        long h = in.readLong(), b = in.readLong(), e = in.readLong();
        int n = in.readInt();
        if (n < 0) throw new IOException("child count " + n);
        check(n, 1, in);
        List<BodyPart> children = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            BodyPart child = part(in);
            if (child == null) throw new IOException("child part missing");
            children.add(child);
        }
        Envelope env = envelope(in);
        BodyPart embedded = part(in);
        return new BodyPart(type, subtype, params, id, description, encoding, size, lines, md5, d, language, location, h, b, e,
                List.copyOf(children), env, embedded);
    }

    /** A count of items of at least {@code minBytes} each must fit in what remains. */
    private static void check(int n, int minBytes, DataInputStream in) throws IOException {
        if ((long) n * minBytes > in.available()) throw new IOException("count " + n + " exceeds the stored parse");
    }
}
