// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.client;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One server response (RFC 9051 section 7 / RFC 3501 section 7), as the project's IMAP clients need it. */
public sealed interface ImapResponse {

    enum Status { OK, NO, BAD, BYE, PREAUTH }

    /** A response code such as {@code [APPENDUID 38505 3955]}: its name (upper case) and arguments. */
    record Code(String name, List<Value> args) {
        public long number(int index) {
            return args.get(index) instanceof Value.Atom(String text) ? Long.parseLong(text) : -1;
        }
    }

    /** {@code tag OK|NO|BAD [code] text}: the end of a command. */
    record Tagged(String tag, Status status, Code code, String text) implements ImapResponse {}

    /** {@code + text}: the server waits for a literal. */
    record Continuation(String text) implements ImapResponse {}

    /** {@code * OK|NO|BAD|BYE|PREAUTH [code] text}. */
    record Condition(Status status, Code code, String text) implements ImapResponse {}

    /** {@code * n EXISTS}. */
    record Exists(long count) implements ImapResponse {}

    /** {@code * n EXPUNGE}. */
    record Expunge(long sequence) implements ImapResponse {}

    /**
     * {@code * n FETCH (...)}; uid, flags, size and body are null when the response lacks them.
     * The body is held ({@code body}) or only hashed ({@code bodySha256}, hex), as the reader was told
     * ({@link ImapResponseReader.Bodies}); {@code other} holds every other attribute by upper-case name.
     */
    record Fetch(long sequence, Long uid, List<String> flags, Long size, byte[] body, String bodySha256,
                 Map<String, Value> other) implements ImapResponse {
        @Override
        public String toString() {
            return "Fetch[" + sequence + " UID " + uid + " FLAGS " + flags + " SIZE " + size
                + (body == null ? "" : " BODY " + body.length + " bytes") + (bodySha256 == null ? "" : " BODY SHA-256 " + bodySha256)
                + " " + other + "]";
        }
    }

    /** Any other untagged data: {@code * CAPABILITY ...}, {@code * LIST ...}, {@code * 3 RECENT} (number set). */
    record Data(Long number, String keyword, List<Value> values) implements ImapResponse {}

    /** A value in a response: atom, string (quoted or literal), NIL, or parenthesized list. */
    sealed interface Value {
        record Atom(String text) implements Value {
            public boolean is(String other) {
                return text.equalsIgnoreCase(other);
            }
        }

        record Str(byte[] bytes) implements Value {
            public String text() {
                return new String(bytes, StandardCharsets.UTF_8);
            }

            @Override
            public String toString() {
                return "Str[" + text() + "]";
            }
        }

        record Nil() implements Value {}

        record Parens(List<Value> items) implements Value {}

        static String upper(String s) {
            return s.toUpperCase(Locale.ROOT);
        }
    }
}
