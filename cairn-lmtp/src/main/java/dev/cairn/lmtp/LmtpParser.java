// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import java.util.Locale;

/**
 * Parses LMTP command lines. Verbs are case-insensitive (RFC 5321 §2.4). Lenient where senders
 * commonly deviate (a space after "FROM:"), strict about anything that could change meaning.
 */
public final class LmtpParser {
    /** RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the brackets. */
    public static final int MAX_PATH = 256;

    private LmtpParser() {}

    public static LmtpCommand parse(String line) throws LmtpSyntaxException {
        int space = line.indexOf(' ');
        String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        String rest = space < 0 ? "" : line.substring(space + 1);
        return switch (verb) {
            case "LHLO" -> {
                String domain = rest.strip();
                if (domain.isEmpty() || domain.contains(" ")) throw new LmtpSyntaxException("501 5.5.4 Syntax: LHLO hostname");
                yield new LmtpCommand.Lhlo(domain);
            }
            case "HELO", "EHLO" -> new LmtpCommand.Helo(verb);
            case "MAIL" -> parseMail(rest);
            case "RCPT" -> parseRcpt(rest);
            case "DATA" -> {
                noArguments(rest, "DATA");
                yield new LmtpCommand.Data();
            }
            case "BDAT" -> parseBdat(rest);
            case "RSET" -> {
                noArguments(rest, "RSET");
                yield new LmtpCommand.Rset();
            }
            case "NOOP" -> new LmtpCommand.Noop(); // RFC 5321 §4.1.1.9: an argument is ignored
            case "QUIT" -> {
                noArguments(rest, "QUIT");
                yield new LmtpCommand.Quit();
            }
            case "STARTTLS" -> {
                noArguments(rest, "STARTTLS"); // RFC 3207 §4: 501 for parameters
                yield new LmtpCommand.StartTls();
            }
            case "VRFY", "EXPN" -> new LmtpCommand.Vrfy();
            default -> throw new LmtpSyntaxException("500 5.5.2 Unknown command");
        };
    }

    private static void noArguments(String rest, String verb) throws LmtpSyntaxException {
        if (!rest.isBlank()) throw new LmtpSyntaxException("501 5.5.4 Syntax: " + verb + " takes no arguments");
    }

    private static LmtpCommand parseMail(String rest) throws LmtpSyntaxException {
        String afterKeyword = keyword(rest, "FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>");
        Path path = path(afterKeyword, true);
        long size = -1;
        LmtpCommand.Body body = LmtpCommand.Body.SEVEN_BIT;
        boolean smtputf8 = false;
        for (String param : parameters(path.rest())) {
            int eq = param.indexOf('=');
            String key = (eq < 0 ? param : param.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? null : param.substring(eq + 1);
            switch (key) {
                case "SIZE" -> {
                    if (value == null || !value.matches("[0-9]{1,20}")) throw new LmtpSyntaxException("501 5.5.4 Syntax: SIZE=<octets>");
                    try {
                        size = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        size = Long.MAX_VALUE; // 20 digits past 2^63: certainly too big
                    }
                }
                case "BODY" -> body = switch (value == null ? "" : value.toUpperCase(Locale.ROOT)) {
                    case "7BIT" -> LmtpCommand.Body.SEVEN_BIT;
                    case "8BITMIME" -> LmtpCommand.Body.EIGHT_BIT_MIME;
                    case "BINARYMIME" -> LmtpCommand.Body.BINARY_MIME;
                    default -> throw new LmtpSyntaxException("501 5.5.4 Syntax: BODY=7BIT|8BITMIME|BINARYMIME");
                };
                case "SMTPUTF8" -> {
                    if (value != null) throw new LmtpSyntaxException("501 5.5.4 SMTPUTF8 takes no value");
                    smtputf8 = true;
                }
                default -> throw new LmtpSyntaxException("555 5.5.4 Unsupported parameter " + key);
            }
        }
        if (!smtputf8 && !isAscii(path.address())) {
            throw new LmtpSyntaxException("553 5.6.7 Non-ASCII address needs SMTPUTF8");
        }
        return new LmtpCommand.Mail(path.address(), size, body, smtputf8);
    }

    private static LmtpCommand parseRcpt(String rest) throws LmtpSyntaxException {
        String afterKeyword = keyword(rest, "TO:", "501 5.5.4 Syntax: RCPT TO:<address>");
        Path path = path(afterKeyword, false);
        for (String param : parameters(path.rest())) {
            String key = param.contains("=") ? param.substring(0, param.indexOf('=')) : param;
            throw new LmtpSyntaxException("555 5.5.4 Unsupported parameter " + key.toUpperCase(Locale.ROOT));
        }
        return new LmtpCommand.Rcpt(path.address());
    }

    private static LmtpCommand parseBdat(String rest) throws LmtpSyntaxException {
        String[] parts = rest.strip().split(" +");
        if (parts.length < 1 || parts.length > 2 || !parts[0].matches("[0-9]{1,18}")) {
            throw new LmtpSyntaxException("501 5.5.4 Syntax: BDAT <size> [LAST]");
        }
        boolean last = false;
        if (parts.length == 2) {
            if (!parts[1].equalsIgnoreCase("LAST")) throw new LmtpSyntaxException("501 5.5.4 Syntax: BDAT <size> [LAST]");
            last = true;
        }
        return new LmtpCommand.Bdat(Long.parseLong(parts[0]), last);
    }

    private static String keyword(String rest, String keyword, String error) throws LmtpSyntaxException {
        if (!rest.regionMatches(true, 0, keyword, 0, keyword.length())) throw new LmtpSyntaxException(error);
        return rest.substring(keyword.length()).stripLeading(); // some senders put a space after the colon
    }

    private record Path(String address, String rest) {}

    /** A bracketed path; quoted local parts may contain '>' and spaces (RFC 5321 §4.1.2). */
    private static Path path(String s, boolean nullAllowed) throws LmtpSyntaxException {
        if (!s.startsWith("<")) throw new LmtpSyntaxException("501 5.1.7 Address must be in angle brackets");
        int i = 1;
        boolean quoted = false;
        StringBuilder address = new StringBuilder();
        while (true) {
            if (i >= s.length()) throw new LmtpSyntaxException("501 5.1.7 Unterminated address");
            char c = s.charAt(i);
            if (quoted && c == '\\' && i + 1 < s.length()) {
                address.append(c).append(s.charAt(i + 1));
                i += 2;
                continue;
            }
            if (c == '"') quoted = !quoted;
            else if (c == '>' && !quoted) break;
            else if (c < 0x20 || c == 0x7f) throw new LmtpSyntaxException("501 5.1.7 Control character in address");
            address.append(c);
            i++;
        }
        if (i + 1 > MAX_PATH) throw new LmtpSyntaxException("501 5.1.7 Address too long");
        String a = address.toString();
        // A source route "@a,@b:user@domain" (RFC 5321 §4.1.2, obsolete) must be accepted and ignored.
        if (a.startsWith("@") && a.contains(":")) a = a.substring(a.indexOf(':') + 1);
        if (a.isEmpty()) {
            if (!nullAllowed) throw new LmtpSyntaxException("501 5.1.3 Empty recipient address");
        } else {
            int at = a.lastIndexOf('@');
            if (at == 0 || at == a.length() - 1) throw new LmtpSyntaxException("501 5.1.3 Bad address syntax");
        }
        String rest = s.substring(i + 1);
        if (!rest.isEmpty() && !rest.startsWith(" ")) throw new LmtpSyntaxException("501 5.5.4 Space expected after address");
        return new Path(a, rest.strip());
    }

    private static String[] parameters(String rest) {
        return rest.isEmpty() ? new String[0] : rest.split(" +");
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) > 0x7f) return false;
        return true;
    }
}
