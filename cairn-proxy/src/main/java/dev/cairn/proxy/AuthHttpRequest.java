// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Function;

/**
 * One question of nginx's mail module (ngx_mail_auth_http_module, "Protocol"): the headers it
 * sends for a client's login. {@code Auth-User} and {@code Auth-Pass} arrive URL-encoded.
 *
 * @param method    {@code Auth-Method}, lower case: "plain" (LOGIN, USER/PASS, AUTH PLAIN/LOGIN), "apop", "cram-md5", "external", ...
 * @param protocol  {@code Auth-Protocol}, lower case: "imap", "pop3" or "smtp"
 * @param user      {@code Auth-User}, decoded
 * @param password  {@code Auth-Pass}, decoded
 * @param attempt   {@code Auth-Login-Attempt}: 1 for the session's first login, counting up
 * @param client    {@code Client-IP} as a literal address, or null when absent or not one
 */
record AuthHttpRequest(String method, String protocol, String user, String password, int attempt, InetAddress client) {

    /** A request nginx would not send (a header missing or not decodable); answered with an error that ends the session. */
    static final class Malformed extends Exception {
        Malformed(String message) { super(message, null, false, false); }
    }

    /** From the request's headers ({@code header.apply(name)}: the first value, or null). */
    static AuthHttpRequest parse(Function<String, String> header) throws Malformed {
        String method = required(header, "Auth-Method").toLowerCase(Locale.ROOT);
        String protocol = required(header, "Auth-Protocol").toLowerCase(Locale.ROOT);
        String user = decode(required(header, "Auth-User"), "Auth-User");
        // APOP and CRAM-MD5 send a salt instead of a password: those methods are refused anyway
        String pass = header.apply("Auth-Pass");
        String password = pass == null ? "" : decode(pass, "Auth-Pass");
        int attempt;
        try {
            String a = header.apply("Auth-Login-Attempt");
            attempt = a == null ? 1 : Integer.parseInt(a.trim());
        } catch (NumberFormatException e) {
            throw new Malformed("Auth-Login-Attempt is not a number");
        }
        if (attempt < 1) throw new Malformed("Auth-Login-Attempt " + attempt);
        return new AuthHttpRequest(method, protocol, user, password, attempt, literal(header.apply("Client-IP")));
    }

    private static String required(Function<String, String> header, String name) throws Malformed {
        String v = header.apply(name);
        if (v == null || v.isEmpty()) throw new Malformed(name + " is missing");
        return v;
    }

    /**
     * nginx escapes a login and password for these headers (its NGX_ESCAPE_MAIL_AUTH) with
     * {@code %XX}, at least the space, the '%' and control octets, and leaves the rest as it is:
     * so '+' is itself, not a space (unlike a form's encoding), and an octet that arrived
     * unescaped is kept (the JDK reads header octets as ISO-8859-1, one char each). The octets
     * are the client's: UTF-8 for a modern client (RFC 9051 §6.2.3); what does not decode as
     * UTF-8 becomes U+FFFD, a password that matches nobody's.
     */
    static String decode(String escaped, String name) throws Malformed {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(escaped.length());
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c == '%') {
                if (i + 2 >= escaped.length() || !HexFormat.isHexDigit(escaped.charAt(i + 1)) || !HexFormat.isHexDigit(escaped.charAt(i + 2))) {
                    throw new Malformed(name + " has a '%' that is not an escape");
                }
                bytes.write(HexFormat.fromHexDigits(escaped, i + 1, i + 3));
                i += 2;
            } else if (c < 256) {
                bytes.write(c);
            } else {
                throw new Malformed(name + " has a character that is not an octet");
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Only a literal: a name here would be a DNS lookup per login, and nginx sends the address it saw. */
    private static InetAddress literal(String address) {
        if (address == null || address.isBlank()) return null;
        try {
            return InetAddress.ofLiteral(address.trim());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
