// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping the server says BYE to sessions waiting for a command and to sessions in IDLE. */
class ShutdownIT {
    @TempDir Path dir;

    @Test void everySessionHearsBye() throws Exception {
        TestImapServer server = new TestImapServer(dir);
        try (Conversation waiting = new Conversation(server.port()); Conversation idling = new Conversation(server.port())) {
            waiting.run("C: a LOGIN sd pw-sd\nS~ a OK .*");
            idling.run("C: a LOGIN sd pw-sd\nS~ a OK .*\nC: b SELECT INBOX\nS* b OK .*\nC: c IDLE\nS: + idling");
            server.close();
            waiting.run("S: * BYE Server shutting down\nS: <closed>");
            idling.run("S: * BYE Server shutting down\nS: <closed>");
        } finally {
            server.close();
        }
    }
}
