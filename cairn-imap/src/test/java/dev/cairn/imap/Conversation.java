// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

/** A {@link dev.cairn.testkit.Conversation} script over IMAP: connected, the greeting read. */
final class Conversation extends dev.cairn.testkit.Conversation {
    Conversation(int port) throws IOException {
        super(port);
        assertThat(readLine()).startsWith("* OK [CAPABILITY ");
    }

    static void play(int port, String script) throws IOException {
        try (Conversation c = new Conversation(port)) {
            c.run(script);
        }
    }
}
