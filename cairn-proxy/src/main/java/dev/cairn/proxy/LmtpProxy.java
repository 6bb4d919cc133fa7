// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.lmtp.LmtpConfig;
import dev.cairn.lmtp.LmtpServer;
import dev.cairn.lmtp.RecipientResolver;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Function;

/**
 * An LMTP listener that is a front-end (RFC 2033 §4.2 replies, one per recipient in order): each
 * recipient is located ({@link RelayingRecipients}), a node's own recipients are delivered into
 * {@code users} in the same transaction, every other back-end's are forwarded to it
 * ({@link LmtpForwarder}), one connection per back-end per transaction, in parallel.
 */
public final class LmtpProxy {
    /** A standalone proxy holds no mail: a recipient located "here" gets 451 4.3.0, never a copy. */
    public static final Function<String, UserStore> NO_LOCAL_STORE = user -> {
        throw new StoreException(StoreException.Reason.UNAVAILABLE, "this front-end holds no mail");
    };

    private LmtpProxy() {}

    /**
     * Unified mode: {@code users} is the node's store; the standalone proxy: {@link #NO_LOCAL_STORE}.
     * The server is not started; its meters go to {@code registry} as well.
     */
    public static LmtpServer server(LmtpConfig config, Function<String, UserStore> users, RecipientResolver directory,
                                    MemoryBudget memory, Locator locator, RelayConfig relay, MeterRegistry registry) {
        LmtpServer server = new LmtpServer(config, users, new RelayingRecipients(directory, locator, RelayingRecipients.DEFAULT_WAIT), memory);
        server.forwarder(new LmtpForwarder(relay, config.hostname(), registry));
        server.meters(registry);
        return server;
    }
}
