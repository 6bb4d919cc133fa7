// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

/**
 * A command that does not follow the grammar: answered with BAD (and an optional response code).
 * A few commands follow the grammar but name something the server cannot accept, such as a
 * mailbox name that is not valid modified UTF-7: those are answered NO ({@link #declined()}).
 * The message quotes pieces of the command and goes into that response line, so CR, LF and NUL
 * in it (a quoted string or a literal may carry them) become '?': response text may not hold
 * them (RFC 9051 §9, text = TEXT-CHAR, which excludes CR and LF; CHAR excludes NUL).
 */
public final class ParseException extends Exception {
    private final String code;
    private final boolean declined;

    public ParseException(String message) { this(null, message); }

    public ParseException(String code, String message) { this(code, message, false); }

    private ParseException(String code, String message, boolean declined) {
        super(message.replace('\r', '?').replace('\n', '?').replace('\0', '?'));
        this.code = code;
        this.declined = declined;
    }

    /** A well-formed command the server declines: NO with this response code (RFC 9051 §7.1.2). */
    public static ParseException declined(String code, String message) { return new ParseException(code, message, true); }

    /** A response code such as CLIENTBUG or LIMIT, or null. */
    public String code() { return code; }

    /** Whether the answer is NO rather than BAD. */
    public boolean declined() { return declined; }
}
