// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

/**
 * A command that does not follow the grammar: answered with BAD (and an optional response code).
 * The message quotes pieces of the command and goes into that BAD line, so CR, LF and NUL in it
 * (a quoted string or a literal may carry them) become '?': response text may not hold them
 * (RFC 9051 §9, text = TEXT-CHAR, which excludes CR and LF; CHAR excludes NUL).
 */
public final class ParseException extends Exception {
    private final String code;

    public ParseException(String message) { this(null, message); }

    public ParseException(String code, String message) {
        super(message.replace('\r', '?').replace('\n', '?').replace('\0', '?'));
        this.code = code;
    }

    /** A response code such as CLIENTBUG or LIMIT, or null. */
    public String code() { return code; }
}
