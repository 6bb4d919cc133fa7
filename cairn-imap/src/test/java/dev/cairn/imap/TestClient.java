// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A logged-in session for tests that need to look at what the server said (not only match it
 * line by line as a {@link Conversation} script does): each command hands back its untagged
 * lines, the tagged line last.
 */
final class TestClient implements AutoCloseable {
    final String name;
    final Conversation conversation;
    private int tag;

    TestClient(String name, int port, String user) throws IOException {
        this.name = name;
        this.conversation = new Conversation(port);
        assertThat(last(command("LOGIN " + user + " pw-" + user))).contains(" OK ");
    }

    /** Sends a command; returns every line up to and including its tagged answer. */
    List<String> command(String text) throws IOException {
        String t = name + (++tag);
        conversation.send(t + " " + text + "\r\n");
        return awaitTagged(t);
    }

    /** APPEND with LITERAL+; {@code flags} is the flag list without parentheses (may be empty). */
    List<String> append(String mailbox, String flags, String subject) throws IOException {
        String t = name + (++tag);
        byte[] message = ("Subject: " + subject + "\r\n\r\n" + subject + "\r\n").getBytes(StandardCharsets.US_ASCII);
        conversation.send(t + " APPEND " + mailbox + " (" + flags + ") {" + message.length + "+}\r\n"
                + new String(message, StandardCharsets.US_ASCII) + "\r\n");
        return awaitTagged(t);
    }

    private List<String> awaitTagged(String t) throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = conversation.readLine();
            if (line == null) throw new IOException(name + ": connection closed\n" + conversation.transcriptText());
            lines.add(line);
            if (line.startsWith(t + " ")) return lines;
        }
    }

    static String last(List<String> lines) { return lines.getLast(); }

    /** The untagged lines of an answer. */
    static List<String> untagged(List<String> lines) { return lines.subList(0, lines.size() - 1); }

    String transcript() { return conversation.transcriptText(); }

    @Override public void close() throws IOException { conversation.close(); }
}
