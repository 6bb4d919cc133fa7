// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import java.time.Instant;
import java.util.Locale;

/**
 * A small JSON writer (RFC 8259) for the admin endpoint's answers: objects, arrays, strings,
 * numbers, booleans and null, with the commas kept for the caller. Strings escape, besides what
 * JSON requires, {@code < > & '} and U+2028/U+2029, so that a name read from a config or the
 * network stays inert text even where the JSON ends up inside HTML or a script.
 */
public final class JsonWriter {
    private final StringBuilder out = new StringBuilder();
    /** A value was written at this level: the next one needs a comma. */
    private boolean comma;

    public JsonWriter beginObject() { return open('{'); }

    public JsonWriter endObject() { return close('}'); }

    public JsonWriter beginArray() { return open('['); }

    public JsonWriter endArray() { return close(']'); }

    /** A member's name; its value follows. */
    public JsonWriter name(String name) {
        separate();
        string(name);
        out.append(':');
        comma = false;
        return this;
    }

    public JsonWriter value(String s) {
        separate();
        if (s == null) out.append("null");
        else string(s);
        comma = true;
        return this;
    }

    /** An instant as its ISO 8601 text (UTC), or null. */
    public JsonWriter value(Instant t) { return value(t == null ? null : t.toString()); }

    public JsonWriter value(long n) { return raw(Long.toString(n)); }

    /** A number or null. */
    public JsonWriter value(Long n) { return raw(n == null ? "null" : n.toString()); }

    public JsonWriter value(Boolean b) { return raw(b == null ? "null" : b.toString()); }

    /** A decimal with {@code decimals} digits after the point. */
    public JsonWriter value(double d, int decimals) {
        if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON has no " + d);
        return raw(String.format(Locale.ROOT, "%." + decimals + "f", d));
    }

    public JsonWriter nullValue() { return raw("null"); }

    @Override public String toString() { return out.toString(); }

    private JsonWriter open(char c) {
        separate();
        out.append(c);
        comma = false;
        return this;
    }

    private JsonWriter close(char c) {
        out.append(c);
        comma = true;
        return this;
    }

    private JsonWriter raw(String text) {
        separate();
        out.append(text);
        comma = true;
        return this;
    }

    private void separate() {
        if (comma) out.append(',');
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'' || c == '\u2028' || c == '\u2029' || c == 0x7f) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
