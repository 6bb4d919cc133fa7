// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * SASL PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) decoding with strict bounds.
 * The protocols carry responses as base64 lines (RFC 9051 §6.2.2, RFC 5034 §4, RFC 4954 §4).
 */
public final class Sasl {
    /** Longest identity or password accepted, in octets (RFC 4616 §2 requires at least 255). */
    public static final int MAX_FIELD_OCTETS = 1024;
    /** Longest base64 response accepted: room for three fields and two NULs. */
    public static final int MAX_RESPONSE_CHARS = 4 * ((3 * MAX_FIELD_OCTETS + 2 + 2) / 3);

    /** LOGIN challenges: base64 of "Username:" and "Password:". */
    public static final String LOGIN_USERNAME_CHALLENGE = "VXNlcm5hbWU6";
    public static final String LOGIN_PASSWORD_CHALLENGE = "UGFzc3dvcmQ6";

    private Sasl() {}

    /** The credentials a PLAIN or LOGIN exchange carried; {@code authzid} null when absent or empty. */
    public record Credentials(String authzid, String authcid, String password) {
        @Override public String toString() { return "Credentials[authzid=" + authzid + ", authcid=" + authcid + ", password=***]"; }
    }

    /** The client cancels an exchange with a lone "*" (RFC 9051 §6.2.2, RFC 5034 §4, RFC 4954 §4). */
    public static boolean isCancel(String response) { return response.equals("*"); }

    /**
     * Decodes a PLAIN response: {@code [authzid] NUL authcid NUL passwd} (RFC 4616 §2), UTF-8,
     * authcid and password non-empty, no further NUL, each field at most {@link #MAX_FIELD_OCTETS}.
     * An empty initial response ("=") decodes to nothing and is refused here.
     */
    public static Credentials decodePlain(String base64) throws SaslException {
        byte[] message = decodeBase64(base64);
        int first = indexOfNul(message, 0);
        int second = first < 0 ? -1 : indexOfNul(message, first + 1);
        if (first < 0 || second < 0) throw new SaslException("PLAIN response needs two NUL separators");
        if (indexOfNul(message, second + 1) >= 0) throw new SaslException("PLAIN response has more than two NULs");
        String authzid = utf8(message, 0, first);
        String authcid = utf8(message, first + 1, second);
        String password = utf8(message, second + 1, message.length);
        if (authcid.isEmpty()) throw new SaslException("PLAIN authcid is empty");
        if (password.isEmpty()) throw new SaslException("PLAIN password is empty");
        return new Credentials(authzid.isEmpty() ? null : authzid, authcid, password);
    }

    /** Decodes one LOGIN response (the user name or the password): base64 of UTF-8, no NUL, non-empty. */
    public static String decodeLoginField(String base64) throws SaslException {
        byte[] field = decodeBase64(base64);
        if (indexOfNul(field, 0) >= 0) throw new SaslException("NUL in LOGIN response");
        String text = utf8(field, 0, field.length);
        if (text.isEmpty()) throw new SaslException("empty LOGIN response");
        return text;
    }

    /** Strict base64 (no line breaks, correct padding) with a bound checked before decoding. */
    public static byte[] decodeBase64(String base64) throws SaslException {
        if (base64.length() > MAX_RESPONSE_CHARS) throw new SaslException("SASL response too long");
        if (base64.equals("=")) return new byte[0]; // RFC 4954 §4: "=" is an empty initial response
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new SaslException("invalid base64 in SASL response");
        }
    }

    public static String encodeBase64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static int indexOfNul(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) if (bytes[i] == 0) return i;
        return -1;
    }

    private static String utf8(byte[] bytes, int from, int to) throws SaslException {
        if (to - from > MAX_FIELD_OCTETS) throw new SaslException("SASL field longer than " + MAX_FIELD_OCTETS + " octets");
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            throw new SaslException("SASL field is not UTF-8");
        }
    }
}
