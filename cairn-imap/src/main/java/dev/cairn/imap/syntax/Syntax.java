// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

/** Character classes of the RFC 9051 §9 grammar. */
public final class Syntax {
    private Syntax() {}

    /** ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ] */
    public static boolean isAtomChar(int c) {
        return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '%' && c != '*' && c != '"'
                && c != '\\' && c != ']';
    }

    /** ASTRING-CHAR: ATOM-CHAR or ']' */
    public static boolean isAstringChar(int c) { return isAtomChar(c) || c == ']'; }

    /** tag: ASTRING-CHAR except '+' */
    public static boolean isTagChar(int c) { return isAstringChar(c) && c != '+'; }

    /** list-char: ATOM-CHAR, list-wildcards, resp-specials */
    public static boolean isListChar(int c) { return isAstringChar(c) || c == '%' || c == '*'; }

    /** Whether a string can be sent as an atom (not NIL, non-empty, only ATOM-CHARs). */
    public static boolean isAtom(String s) {
        if (s.isEmpty() || s.equalsIgnoreCase("NIL")) return false;
        for (int i = 0; i < s.length(); i++) if (!isAtomChar(s.charAt(i))) return false;
        return true;
    }
}
