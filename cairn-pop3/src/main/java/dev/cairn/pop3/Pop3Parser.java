// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import java.util.Locale;

/**
 * Parses POP3 command lines: a keyword, case-insensitive (RFC 1939 §3), and arguments
 * separated by one space. Message numbers are decimal, 1 to 2^31-1; anything else ("0",
 * "-1", "4294967296", "1x") is refused here rather than mis-read.
 */
public final class Pop3Parser {
    private Pop3Parser() {}

    public static Pop3Command parse(String line) throws Pop3SyntaxException {
        int space = line.indexOf(' ');
        String keyword = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        String rest = space < 0 ? null : line.substring(space + 1);
        return switch (keyword) {
            case "CAPA" -> none(rest, new Pop3Command.Capa());
            case "USER" -> new Pop3Command.User(required(rest, "USER name"));
            // RFC 1939 §7: the password may contain spaces; it is everything after "PASS ".
            case "PASS" -> new Pop3Command.Pass(required(rest, "PASS password"));
            case "AUTH" -> auth(rest);
            case "STLS" -> none(rest, new Pop3Command.Stls());
            case "STAT" -> none(rest, new Pop3Command.Stat());
            case "LIST" -> new Pop3Command.List(rest == null ? 0 : number(rest));
            case "UIDL" -> new Pop3Command.Uidl(rest == null ? 0 : number(rest));
            case "RETR" -> new Pop3Command.Retr(number(required(rest, "RETR message")));
            case "DELE" -> new Pop3Command.Dele(number(required(rest, "DELE message")));
            case "TOP" -> {
                String[] args = required(rest, "TOP message lines").split(" ", -1);
                if (args.length != 2) throw new Pop3SyntaxException("Syntax: TOP message lines");
                yield new Pop3Command.Top(number(args[0]), count(args[1]));
            }
            case "RSET" -> none(rest, new Pop3Command.Rset());
            case "NOOP" -> none(rest, new Pop3Command.Noop());
            case "QUIT" -> none(rest, new Pop3Command.Quit());
            default -> throw new Pop3SyntaxException("Unknown command");
        };
    }

    private static Pop3Command auth(String rest) throws Pop3SyntaxException {
        if (rest == null) return new Pop3Command.Auth(null, null);
        String[] args = rest.split(" ", -1);
        if (args.length > 2 || args[0].isEmpty()) throw new Pop3SyntaxException("Syntax: AUTH mechanism [initial-response]");
        return new Pop3Command.Auth(args[0].toUpperCase(Locale.ROOT), args.length == 2 ? args[1] : null);
    }

    private static Pop3Command none(String rest, Pop3Command command) throws Pop3SyntaxException {
        if (rest != null) throw new Pop3SyntaxException("Syntax: no arguments allowed");
        return command;
    }

    private static String required(String rest, String syntax) throws Pop3SyntaxException {
        if (rest == null || rest.isEmpty()) throw new Pop3SyntaxException("Syntax: " + syntax);
        return rest;
    }

    private static int number(String s) throws Pop3SyntaxException {
        if (!s.matches("[0-9]{1,10}")) throw new Pop3SyntaxException("Invalid message number");
        long n = Long.parseLong(s);
        if (n < 1 || n > Integer.MAX_VALUE) throw new Pop3SyntaxException("No such message");
        return (int) n;
    }

    private static int count(String s) throws Pop3SyntaxException {
        if (!s.matches("[0-9]{1,18}")) throw new Pop3SyntaxException("Invalid line count");
        return (int) Math.min(Long.parseLong(s), Integer.MAX_VALUE);
    }
}
