// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The text of every {@link ClusterRecord} in ZooKeeper: UTF-8 lines {@code key=value}, first
 * {@code kind=} and {@code format=1}, then the record's keys (README.md lists them). Values never
 * hold a line break (names are checked, free text has its control characters replaced), so no
 * escaping is needed. A reader refuses, with the path and the reason, anything that is not
 * exactly a record: bad UTF-8, a line without {@code =}, a key twice, a required key missing, a
 * number or a name that does not parse, another kind or a newer format. Keys it does not know are
 * skipped (a newer minor version may add some; it would raise {@code format} for anything an older
 * reader must not ignore).
 */
public final class RecordCodec {
    static final int FORMAT = 1;
    /** No record comes near this; ZooKeeper's own limit is 1 MiB. */
    static final int MAX_BYTES = 256 * 1024;
    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_.]{0,63}");

    private RecordCodec() {}

    public static byte[] encode(ClusterRecord record) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kind", kind(record));
        m.put("format", Integer.toString(FORMAT));
        switch (record) {
            case NodeRecord n -> {
                m.put("node", n.node());
                new TreeMap<>(n.addresses()).forEach((kind, address) -> m.put("address." + kind, address));
                m.put("slots", String.join(",", n.slots()));
                m.put("version", n.version());
                m.put("load", Integer.toString(n.load()));
                m.put("joined", Long.toString(n.joined()));
            }
            case StoreRecord s -> {
                m.put("name", s.name());
                m.put("mode", s.mode().name().toLowerCase(Locale.ROOT));
                m.put("on_replica_loss", s.onReplicaLoss().name().toLowerCase(Locale.ROOT));
                m.put("master", s.master().toString());
                m.put("replicas", join(s.replicas()));
                m.put("epoch", Long.toString(s.epoch()));
                m.put("in_sync", join(s.inSync().stream().sorted(java.util.Comparator.comparing(SlotRef::toString)).toList()));
                m.put("master_since", Long.toString(s.masterSince()));
                if (s.forced()) m.put("forced", "true"); // absent otherwise: ordinary records read as before
            }
            case ProgressRecord p -> {
                m.put("slot", p.slot().toString());
                m.put("in_sync", Boolean.toString(p.inSync()));
                m.put("epoch", Long.toString(p.epoch()));
                m.put("position", Long.toString(p.position()));
            }
            case FailoverRecord f -> {
                m.put("at", Long.toString(f.at()));
                m.put("store", f.store());
                m.put("from", f.from().toString());
                m.put("to", f.to().toString());
                m.put("epoch", Long.toString(f.epoch()));
                m.put("why", f.why());
            }
            case FrontendRecord fe -> {
                m.put("name", fe.name());
                new TreeMap<>(fe.addresses()).forEach((kind, address) -> m.put("address." + kind, address));
                m.put("version", fe.version());
                m.put("joined", Long.toString(fe.joined()));
            }
        }
        StringBuilder text = new StringBuilder();
        m.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The record at {@code path}, of the kind {@code type}; anything else is refused. */
    public static <R extends ClusterRecord> R decode(byte[] data, String path, Class<R> type) throws RecordFormatException {
        ClusterRecord r = decode(data, path);
        if (!type.isInstance(r)) throw new RecordFormatException(path + ": a " + kind(r) + " record where a " + type.getSimpleName() + " belongs");
        return type.cast(r);
    }

    public static ClusterRecord decode(byte[] data, String path) throws RecordFormatException {
        if (data == null || data.length == 0) throw new RecordFormatException(path + ": no data");
        if (data.length > MAX_BYTES) throw new RecordFormatException(path + ": " + data.length + " bytes, more than a record's " + MAX_BYTES);
        Fields f = new Fields(path, lines(data, path));
        try {
            String kind = f.required("kind");
            long format = f.number("format");
            if (format != FORMAT) throw new RecordFormatException(path + ": format " + format + ", this version reads " + FORMAT);
            return switch (kind) {
                case "node" -> {
                    Map<String, String> addresses = new TreeMap<>();
                    for (String kindOfAddress : NodeRecord.ADDRESS_KINDS) {
                        String a = f.optional("address." + kindOfAddress);
                        if (a != null) addresses.put(kindOfAddress, a);
                    }
                    yield new NodeRecord(f.required("node"), addresses, list(f.optional("slots")), f.required("version"),
                            Math.toIntExact(f.number("load")), f.number("joined"));
                }
                case "store" -> new StoreRecord(f.required("name"), f.choice("mode", StoreRecord.Mode.class),
                        f.choice("on_replica_loss", StoreRecord.OnReplicaLoss.class), SlotRef.parse(f.required("master")),
                        slots(f.optional("replicas")), f.number("epoch"), new LinkedHashSet<>(slots(f.optional("in_sync"))),
                        f.number("master_since"), f.optional("forced") != null && f.bool("forced"));
                case "progress" -> new ProgressRecord(SlotRef.parse(f.required("slot")), f.bool("in_sync"), f.number("epoch"), f.number("position"));
                case "failover" -> new FailoverRecord(f.number("at"), f.required("store"), SlotRef.parse(f.required("from")),
                        SlotRef.parse(f.required("to")), f.number("epoch"), f.required("why"));
                case "frontend" -> {
                    Map<String, String> addresses = new TreeMap<>();
                    for (String kindOfAddress : FrontendRecord.ADDRESS_KINDS) {
                        String a = f.optional("address." + kindOfAddress);
                        if (a != null) addresses.put(kindOfAddress, a);
                    }
                    yield new FrontendRecord(f.required("name"), addresses, f.required("version"), f.number("joined"));
                }
                default -> throw new RecordFormatException(path + ": unknown kind \"" + kind + "\"");
            };
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new RecordFormatException(path + ": " + e.getMessage(), e);
        }
    }

    private static String kind(ClusterRecord r) {
        return switch (r) {
            case NodeRecord n -> "node";
            case StoreRecord s -> "store";
            case ProgressRecord p -> "progress";
            case FailoverRecord f -> "failover";
            case FrontendRecord fe -> "frontend";
        };
    }

    private static String join(java.util.Collection<SlotRef> slots) {
        return String.join(",", slots.stream().map(SlotRef::toString).toList());
    }

    private static List<String> list(String value) {
        if (value == null || value.isEmpty()) return List.of();
        return Arrays.asList(value.split(",", -1));
    }

    private static List<SlotRef> slots(String value) {
        List<SlotRef> out = new ArrayList<>();
        for (String s : list(value)) out.add(SlotRef.parse(s));
        if (new LinkedHashSet<>(out).size() != out.size()) throw new IllegalArgumentException("a slot twice in " + value);
        return out;
    }

    private static Map<String, String> lines(byte[] data, String path) throws RecordFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            throw new RecordFormatException(path + ": not UTF-8 text", e);
        }
        if (!text.endsWith("\n")) throw new RecordFormatException(path + ": cut short (no line break at the end)");
        Map<String, String> m = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.substring(0, text.length() - 1).split("\n", -1)) {
            lineNo++;
            int eq = line.indexOf('=');
            if (eq < 0) throw new RecordFormatException(path + ": line " + lineNo + " is not key=value");
            String key = line.substring(0, eq), value = line.substring(eq + 1);
            if (!KEY.matcher(key).matches()) throw new RecordFormatException(path + ": line " + lineNo + ": bad key \"" + printable(key) + "\"");
            if (value.chars().anyMatch(Character::isISOControl)) throw new RecordFormatException(path + ": " + key + ": a control character in the value");
            if (m.putIfAbsent(key, value) != null) throw new RecordFormatException(path + ": " + key + " twice");
        }
        return m;
    }

    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    /** The key/value pairs of one record, read with the record's path in every complaint. */
    private record Fields(String path, Map<String, String> values) {
        String optional(String key) { return values.get(key); }

        String required(String key) throws RecordFormatException {
            String v = values.get(key);
            if (v == null || v.isEmpty()) throw new RecordFormatException(path + ": " + key + " is missing");
            return v;
        }

        long number(String key) throws RecordFormatException {
            String v = required(key);
            try {
                long n = Long.parseLong(v);
                if (n < 0) throw new RecordFormatException(path + ": " + key + " is negative: " + v);
                return n;
            } catch (NumberFormatException e) {
                throw new RecordFormatException(path + ": " + key + " is not a number: " + printable(v));
            }
        }

        boolean bool(String key) throws RecordFormatException {
            return switch (required(key)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new RecordFormatException(path + ": " + key + " is not true or false: " + printable(values.get(key)));
            };
        }

        <E extends Enum<E>> E choice(String key, Class<E> type) throws RecordFormatException {
            String v = required(key);
            for (E e : type.getEnumConstants()) if (e.name().toLowerCase(Locale.ROOT).equals(v)) return e;
            throw new RecordFormatException(path + ": " + key + " is not one of " + Set.of(type.getEnumConstants()).stream()
                    .map(e -> e.name().toLowerCase(Locale.ROOT)).sorted().toList() + ": " + printable(v));
        }
    }
}
