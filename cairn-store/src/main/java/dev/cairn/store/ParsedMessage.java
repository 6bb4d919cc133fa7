// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.time.Instant;
import java.util.List;

/**
 * What the store parses once when a body first arrives (with apache-mime4j) and keeps beside it,
 * so FETCH ENVELOPE/BODYSTRUCTURE, SORT, THREAD and most SEARCH keys never re-read the body.
 * Keyed by body: identical bodies share one parse.
 *
 * @param envelope   the fields of the IMAP ENVELOPE (RFC 9051 §7.5.2), header values decoded
 *                   from encoded words only where the RFC says so (the envelope keeps them raw)
 * @param sentDate   the Date header parsed, if it parses (SORT DATE, SEARCH SENTBEFORE...)
 * @param references Message-IDs from References and In-Reply-To, in order (THREAD=REFERENCES)
 * @param structure  the MIME tree with byte offsets into the body
 */
public record ParsedMessage(Envelope envelope, Instant sentDate, List<String> references, BodyPart structure) {

    /**
     * ENVELOPE fields. Strings are the raw (undecoded, unfolded) header values or null when absent,
     * as IMAP sends them; address lists are parsed.
     */
    public record Envelope(String date, String subject, List<Address> from, List<Address> sender,
                           List<Address> replyTo, List<Address> to, List<Address> cc, List<Address> bcc,
                           String inReplyTo, String messageId) {
    }

    /**
     * One address of an ENVELOPE address list. RFC 9051 §7.5.2 group syntax: a group start has
     * {@code host == null} and the group name in {@code mailbox}; a group end has mailbox and host null.
     *
     * @param name the display name, raw (may hold encoded words)
     */
    public record Address(String name, String adl, String mailbox, String host) {
    }

    /**
     * One MIME part. Offsets are octets from the start of the message: the part's header starts at
     * {@code headerOffset}, its body at {@code bodyOffset} and ends at {@code endOffset}
     * (exclusive), which is what BODY[1.2.HEADER], BODY[1.2.MIME] and BODY[1.2] slice.
     *
     * @param parameters  Content-Type parameters in order, as name/value pairs, values decoded from RFC 2231
     * @param lines       body lines for text/* and message/rfc822 parts, else -1
     * @param embedded    for message/rfc822: the envelope and structure of the enclosed message
     */
    public record BodyPart(String type, String subtype, List<Parameter> parameters, String id,
                           String description, String encoding, long size, long lines, String md5,
                           Disposition disposition, List<String> language, String location,
                           long headerOffset, long bodyOffset, long endOffset,
                           List<BodyPart> children, Envelope embeddedEnvelope, BodyPart embedded) {
        public boolean isMultipart() { return "multipart".equalsIgnoreCase(type); }
        public boolean isMessage() { return "message".equalsIgnoreCase(type) && "rfc822".equalsIgnoreCase(subtype); }
    }

    public record Parameter(String name, String value) {
    }

    public record Disposition(String type, List<Parameter> parameters) {
    }
}
