// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The trace field a delivery adds (RFC 5321 §4.4), one clause a line:
 * <pre>
 * Received: from mta.example.org ([192.0.2.1])
 *         by mail.example.org (Cairn) with LMTP id 3k
 *         for &lt;alice@example.org&gt;; Sat, 5 Dec 2026 15:34:58 +0100
 * </pre>
 * {@code with} is LMTP or LMTPS after STARTTLS (RFC 3848), UTF8LMTP[S] when the transaction used
 * SMTPUTF8 (RFC 6531 §3.7.3). {@code for} names the recipient only when the transaction has one:
 * the same bytes then go to every recipient, so one body is stored for all of them (as with
 * Delivered-To), and no recipient learns the others' addresses (RFC 5321 §7.2).
 */
final class ReceivedHeader {
    /** RFC 5322 §3.3 date-time, English names whatever the default locale. */
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ENGLISH);
    /** RFC 5321 §4.1.2 Domain (ASCII labels), or an address literal. */
    private static final Pattern DOMAIN = Pattern.compile(
            "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
    private static final Pattern ADDRESS_LITERAL = Pattern.compile("\\[(?:IPv6:)?[0-9A-Fa-f:.]{2,45}]");

    private ReceivedHeader() {}

    /**
     * @param lhlo      the domain the client gave in LHLO (shown only when it is a domain or an address literal)
     * @param client    the client's IP address, or null for a unix-domain socket
     * @param by        this server's host name
     * @param recipient the single recipient, or null when the transaction has several
     */
    static String of(String lhlo, InetAddress client, String by, boolean tls, boolean smtputf8, String id,
                     String recipient, ZonedDateTime when) {
        String from = lhlo != null && (DOMAIN.matcher(lhlo).matches() || ADDRESS_LITERAL.matcher(lhlo).matches())
                ? lhlo : "unknown";
        StringBuilder b = new StringBuilder("Received: from ").append(from);
        if (client != null) {
            b.append(" (").append(literal(client)).append(')');
        }
        b.append("\r\n\tby ").append(by).append(" (Cairn) with ").append(smtputf8 ? "UTF8LMTP" : "LMTP").append(tls ? "S" : "")
                .append(" id ").append(id);
        if (recipient != null) {
            b.append("\r\n\tfor <").append(recipient).append('>');
        }
        return b.append("; ").append(DATE.format(when)).append("\r\n").toString();
    }

    /** RFC 5321 §4.1.3 address literal: [192.0.2.1] or [IPv6:2001:db8::1] (without a zone). */
    static String literal(InetAddress address) {
        String text = address.getHostAddress();
        int zone = text.indexOf('%');
        if (zone >= 0) {
            text = text.substring(0, zone);
        }
        return address instanceof Inet6Address ? "[IPv6:" + text + "]" : "[" + text + "]";
    }
}
