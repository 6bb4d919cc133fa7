// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Received field every delivery adds, checked for form and taken out, so tests can compare the rest. */
final class TraceFields {
    /** RFC 5321 §4.4 Time-stamp-line as ReceivedHeader writes it: from, by, with, id, optional for, date. */
    static final Pattern RECEIVED = Pattern.compile(
            "Received: from (\\S+)(?: \\((\\[[^\\]]+])\\))?\r\n"
            + "\tby (\\S+) \\(Cairn\\) with ((?:UTF8)?LMTPS?) id ([A-Za-z0-9]+)"
            + "(?:\r\n\tfor <([^>\r\n]+)>)?; ([^\r\n]+)\r\n");

    private TraceFields() {}

    /** The parts of the one Received field of {@code message}, which must be right after Return-Path and Delivered-To. */
    static Matcher received(String message) {
        Matcher m = RECEIVED.matcher(message);
        assertThat(m.find()).as("a Received field in\n" + message).isTrue();
        assertThat(message.substring(0, m.start())).as("only Return-Path and Delivered-To before Received")
                .matches("Return-Path: <[^>]*>\r\n(Delivered-To: [^\r\n]+\r\n)?");
        assertThat(RECEIVED.matcher(message.substring(m.end())).find()).as("one Received field").isFalse();
        // RFC 5322 §3.3 date-time, with a numeric zone.
        ZonedDateTime date = ZonedDateTime.parse(m.group(7), DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(date).isBetween(ZonedDateTime.now().minusMinutes(10), ZonedDateTime.now().plusMinutes(1));
        assertThat(m.group(7)).matches("[A-Z][a-z]{2}, \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}");
        return m;
    }

    /** The message without its Received field (checked by {@link #received}). */
    static String withoutReceived(String message) {
        Matcher m = received(message);
        return message.substring(0, m.start()) + message.substring(m.end());
    }
}
