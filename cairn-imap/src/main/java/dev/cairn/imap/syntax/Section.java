// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.util.List;

/**
 * A body section of FETCH BODY[...] / BINARY[...] (RFC 9051 §6.4.5): a part path (empty for the
 * whole message) and what of it.
 */
public record Section(int[] part, Kind kind, List<String> fields) {
    public enum Kind { ALL, HEADER, HEADER_FIELDS, HEADER_FIELDS_NOT, TEXT, MIME }

    public static final Section WHOLE = new Section(new int[0], Kind.ALL, List.of());

    /** As the client wrote it, for the response item name. */
    public String spec() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < part.length; i++) {
            if (i > 0) sb.append('.');
            sb.append(part[i]);
        }
        String k = switch (kind) {
            case ALL -> "";
            case HEADER -> "HEADER";
            case HEADER_FIELDS -> "HEADER.FIELDS";
            case HEADER_FIELDS_NOT -> "HEADER.FIELDS.NOT";
            case TEXT -> "TEXT";
            case MIME -> "MIME";
        };
        if (!k.isEmpty() && part.length > 0) sb.append('.');
        sb.append(k);
        if (kind == Kind.HEADER_FIELDS || kind == Kind.HEADER_FIELDS_NOT) {
            sb.append(" (").append(String.join(" ", fields)).append(')');
        }
        return sb.toString();
    }

    @Override public String toString() { return "Section[" + spec() + "]"; }
}
