// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

/** A command that does not follow the grammar: answered with BAD (and an optional response code). */
public final class ParseException extends Exception {
    private final String code;

    public ParseException(String message) { this(null, message); }

    public ParseException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** A response code such as CLIENTBUG or LIMIT, or null. */
    public String code() { return code; }
}
