// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.relay;

import dev.cairn.protocol.Connection;
import java.io.Closeable;
import java.io.IOException;

/**
 * A session that a front-end opened on the user's back-end for a client, logged in as the user
 * ({@link dev.cairn.protocol.auth.ProxyLogin}). The client's session answers its login with
 * {@link #loginReply()}, then hands its connection to {@link #relay}, which copies bytes both ways
 * with no per-command parsing (COMPRESS and IDLE pass through) until either side closes; the
 * back-end's {@code BYE [UNAVAILABLE]} when the store moves reaches the client as it was sent.
 */
public interface RelayedSession extends Closeable {
    /**
     * What the back-end answered to the login, for the client: IMAP, the tagged response without
     * its tag ({@code OK [CAPABILITY ...] Logged in}); POP3, the {@code +OK ...} line.
     */
    String loginReply();

    /**
     * Relays until either side closes, then closes both. The client's bytes that its session
     * already read past the login (pipelined commands, in {@code client.input()}'s buffer) go to
     * the back-end first.
     */
    void relay(Connection client) throws IOException;
}
