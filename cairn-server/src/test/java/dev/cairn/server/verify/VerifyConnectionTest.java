// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.imap.client.ImapResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The verify connection on a scripted server: every split of the bytes gives the same view, a body
 * literal is hashed (not kept), and verify's bounds hold. (The reader's own grammar and bounds are
 * tested in cairn-imap-client's ImapResponseReaderTest.)
 */
class VerifyConnectionTest {
    /** The server's side of one user's verification, answering the client's tags v1, v2, ... in order. */
    private static final String SESSION = String.join("\r\n",
            "* ENABLED CONDSTORE", "v1 OK ENABLE completed",
            "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent\"", "* LIST (\\HasNoChildren) \"/\" {5}", "INBOX",
            "* LIST (\\Noselect \\HasChildren) \"/\" \"a \\\"q\\\" (x)\"", "v2 OK LIST completed",
            "* LSUB () \"/\" \"INBOX\"", "v3 OK",
            "* STATUS \"INBOX\" (MESSAGES 2 UIDNEXT 9 UIDVALIDITY 77 HIGHESTMODSEQ 12)", "v4 OK STATUS completed",
            "* ACL \"INBOX\" bob lr alice lrswipkxtea", "v5 OK GETACL completed",
            "* 2 EXISTS", "* OK [UIDVALIDITY 77] UIDs valid (a ( and a \" do not matter here)", "* FLAGS (\\Seen \\Deleted)",
            "v6 OK [READ-ONLY] EXAMINE completed",
            "* 1 FETCH (UID 3 FLAGS (\\Seen \\Recent $Junk) MODSEQ (10) RFC822.SIZE 11 BODY[] {11}", "hello world)",
            "* 2 FETCH (BODY[] {0}", " UID 8 RFC822.SIZE 0 FLAGS () MODSEQ (12))", "v7 OK FETCH completed",
            "v8 OK UNSELECT completed",
            "* STATUS \"Sent\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 78 HIGHESTMODSEQ 1)", "v9 OK STATUS completed",
            "* ACL \"Sent\" alice lrswipkxtea", "v10 OK GETACL completed", "");

    /** Returns the bytes in two reads, split at {@code at}, then one byte at a time if {@code trickle}. */
    private static InputStream split(byte[] bytes, int at, boolean trickle) {
        return new InputStream() {
            int pos;

            @Override public int read() {
                return pos < bytes.length ? bytes[pos++] & 0xff : -1;
            }

            @Override public int read(byte[] b, int off, int len) {
                if (pos >= bytes.length) return -1;
                int limit = trickle ? 1 : pos < at ? at - pos : bytes.length - pos;
                int n = Math.min(len, Math.max(1, limit));
                System.arraycopy(bytes, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test void readsTheSameViewWhereverTheBytesAreSplit() throws Exception {
        byte[] bytes = SESSION.getBytes(StandardCharsets.UTF_8);
        ImapView first = null;
        for (int at = 0; at <= bytes.length; at++) {
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            ImapView v = ImapView.read(new VerifyConnection(split(bytes, at, false), sent));
            if (first == null) {
                first = v;
                assertThat(sent.toString(StandardCharsets.UTF_8)).isEqualTo(String.join("\r\n", "v1 ENABLE CONDSTORE",
                        "v2 LIST \"\" \"*\"", "v3 LSUB \"\" \"*\"", "v4 STATUS \"INBOX\" (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)",
                        "v5 GETACL \"INBOX\"", "v6 EXAMINE \"INBOX\"",
                        "v7 UID FETCH 1:* (UID FLAGS MODSEQ RFC822.SIZE BODY.PEEK[])", "v8 UNSELECT",
                        "v9 STATUS \"Sent\" (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)", "v10 GETACL \"Sent\"", ""));
            }
            assertThat(v).as("split at " + at).isEqualTo(first);
        }
        assertThat(ImapView.read(new VerifyConnection(split(bytes, 0, true), new ByteArrayOutputStream()))).isEqualTo(first);

        assertThat(first.folders()).containsExactly(
                java.util.Map.entry("INBOX", "(\\HasNoChildren) \"/\""),
                java.util.Map.entry("Sent", "(\\HasNoChildren \\Sent) \"/\""),
                java.util.Map.entry("a \"q\" (x)", "(\\HasChildren \\Noselect) \"/\""));
        assertThat(first.subscriptions()).containsOnlyKeys("INBOX");
        assertThat(first.mailboxes()).containsOnlyKeys("INBOX", "Sent");
        ImapView.Mailbox inbox = first.mailboxes().get("INBOX");
        assertThat(inbox.status()).containsEntry("MESSAGES", "2").containsEntry("UIDNEXT", "9")
                .containsEntry("UIDVALIDITY", "77").containsEntry("HIGHESTMODSEQ", "12");
        assertThat(inbox.acl()).isEqualTo("alice lrswipkxtea, bob lr");
        assertThat(inbox.messages().get(3L)).isEqualTo(new ImapView.Message("($Junk \\Seen)", "10", "11", sha256("hello world")));
        assertThat(inbox.messages().get(8L)).isEqualTo(new ImapView.Message("()", "12", "0", sha256("")));
        assertThat(first.messageCount()).isEqualTo(2);
    }

    private static List<ImapResponse> answer(String server) throws IOException {
        return new VerifyConnection(split(server.getBytes(StandardCharsets.UTF_8), 3, false), new ByteArrayOutputStream()).command("NOOP");
    }

    @Test void boundsAndNonsenseFromTheServerAreErrorsNotGuesses() throws Exception {
        int max = VerifyConnection.MAX_LITERAL;
        assertThat(answer("* LIST () \"/\" {" + max + "}\r\n" + "a".repeat(max) + "\r\nv1 OK\r\n")).hasSize(1);
        assertThatThrownBy(() -> answer("* LIST () \"/\" {" + (max + 1) + "}\r\n" + "a".repeat(max + 1) + "\r\nv1 OK\r\n"))
                .hasMessageContaining("literal of " + (max + 1) + " bytes exceeds the limit of " + max);
        assertThatThrownBy(() -> answer("* 1 FETCH (BODY[] {1234567890123456789}\r\n")).hasMessageContaining("number too long");
        assertThatThrownBy(() -> answer("* 1 FETCH (BODY[] {12x}\r\n")).hasMessageContaining("expected '}', got 'x'");
        assertThatThrownBy(() -> answer("* 1 FETCH (BODY[] {5}\r\nab")).hasMessageContaining("connection closed inside a literal");
        assertThat(answer("* X " + "(".repeat(16) + ")".repeat(16) + "\r\nv1 OK\r\n")).hasSize(1);
        assertThatThrownBy(() -> answer("* X " + "(".repeat(17) + ")".repeat(17) + "\r\nv1 OK\r\n")).hasMessageContaining("nested deeper");
        assertThatThrownBy(() -> answer("* X (a\r\nv1 OK\r\n")).hasMessageContaining("expected ' ', got CR");
        assertThatThrownBy(() -> answer("* X a)\r\nv1 OK\r\n")).hasMessageContaining("expected ' ', got ')'");
        assertThatThrownBy(() -> answer("* BYE [UNAVAILABLE] shutting down\r\n")).hasMessageContaining("BYE shutting down");
        assertThatThrownBy(() -> answer("* BYE [UNAVAILABLE] shutting down\r\nv1 OK\r\n")).hasMessageContaining("BYE shutting down");
        assertThatThrownBy(() -> answer("v9 OK\r\n")).hasMessageContaining("tagged response for unknown tag v9");
        assertThatThrownBy(() -> answer("+ go on\r\n")).hasMessageContaining("unexpected continuation");
        assertThatThrownBy(() -> answer("v1 NO [UNAVAILABLE] no\r\n")).hasMessageContaining("NOOP: NO [UNAVAILABLE] no");
        assertThatThrownBy(() -> answer("* X \"never closed\r\n")).hasMessageContaining("line end inside a quoted string");
        assertThatThrownBy(() -> answer("* X a")).isInstanceOf(java.io.EOFException.class);
    }
}
