// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command side of the client on a scripted server: tags, literals, and answers that do not fit. */
class ImapClientTest {

    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();

    private ImapClient client(String server) {
        return ImapClient.overStreams(new ByteArrayInputStream(server.getBytes(StandardCharsets.UTF_8)), sent,
            ImapClient.Options.DEFAULT);
    }

    private String sent() {
        return sent.toString(StandardCharsets.UTF_8);
    }

    @Test
    void commandsAreTaggedInTurnAndCollectTheirUntaggedResponses() throws IOException {
        ImapClient c = client("* CAPABILITY IMAP4rev2 LITERAL+\r\nb1 OK done\r\n* 3 EXISTS\r\nb2 NO [ALERT] no\r\n");
        ImapClient.Result first = c.execute("CAPABILITY");
        assertThat(first.ok()).isTrue();
        assertThat(c.has("literal+")).isTrue();
        ImapClient.Result second = c.login("a \"b\"", "p\\w");
        assertThat(second.ok()).isFalse();
        assertThat(second.untagged()).containsExactly(new ImapResponse.Exists(3));
        assertThat(sent()).isEqualTo("b1 CAPABILITY\r\nb2 LOGIN \"a \\\"b\\\"\" \"p\\\\w\"\r\n");
    }

    /** RFC 7888: without LITERAL+ the client waits for the continuation; with it, it sends at once. */
    @Test
    void appendWaitsForTheContinuationUnlessTheServerTakesNonSynchronizingLiterals() throws IOException {
        ImapClient sync = client("+ go\r\nb1 OK [APPENDUID 7 1] done\r\n");
        assertThat(sync.append("INBOX", "\\Seen", "hi".getBytes(StandardCharsets.US_ASCII)).tagged().code().number(1)).isEqualTo(1);
        assertThat(sent()).isEqualTo("b1 APPEND INBOX (\\Seen) {2}\r\nhi\r\n");
        sent.reset();
        ImapClient refused = client("b1 NO [TOOBIG] no\r\n");
        assertThat(refused.append("INBOX", "", new byte[10]).ok()).isFalse();
        assertThat(sent()).isEqualTo("b1 APPEND INBOX {10}\r\n");
        sent.reset();
        ImapClient nonSync = client("* CAPABILITY IMAP4rev2 LITERAL+\r\nb1 OK\r\nb2 OK done\r\n");
        nonSync.execute("CAPABILITY");
        sent.reset();
        assertThat(nonSync.append("INBOX", "", "hi".getBytes(StandardCharsets.US_ASCII)).ok()).isTrue();
        assertThat(sent()).isEqualTo("b2 APPEND INBOX {2+}\r\nhi\r\n");
    }

    @Test
    void answersThatDoNotFitTheCommandAreErrors() {
        assertThatThrownBy(() -> client("b9 OK\r\n").execute("NOOP")).hasMessageContaining("tagged response for unknown tag b9");
        assertThatThrownBy(() -> client("+ go on\r\n").execute("NOOP")).hasMessageContaining("unexpected continuation");
        assertThatThrownBy(() -> client("* BYE [UNAVAILABLE] shutting down\r\n").execute("NOOP"))
            .isInstanceOf(EOFException.class).hasMessageContaining("after BYE shutting down");
        assertThatThrownBy(() -> client("").execute("NOOP")).isInstanceOf(EOFException.class);
    }
}
