// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.lmtp.LmtpConfig;
import dev.cairn.lmtp.LmtpServer;
import dev.cairn.lmtp.RecipientResolver;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.rocks.RocksSlotStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An LMTP front-end and its back-ends in-process for the LMTP proxy's tests: each back-end an
 * LmtpServer over a RocksDB slot of its own, the front an {@link LmtpProxy} server over its own
 * slot (for the users located "here"). The directory knows {@code <user>@example.com} for every
 * user name; "full" has a 10-octet quota, answered 452 4.2.2 (temporary) by the back-ends.
 */
final class LmtpBackEnds implements Closeable {
    /** The shared directory: every user@example.com is the user; "ghost" is unknown. */
    static final RecipientResolver DIRECTORY = address -> {
        String a = address.toLowerCase(Locale.ROOT);
        if (!a.endsWith("@example.com") || a.startsWith("ghost@")) return new RecipientResolver.Lookup.Unknown("no address " + a);
        return RecipientResolver.Lookup.found(a.substring(0, a.indexOf('@')));
    };

    final List<SlotStore> slots = new ArrayList<>();
    final List<LmtpServer> servers = new ArrayList<>();
    final List<Backend> backends = new ArrayList<>();
    final SlotStore frontSlot;
    final LmtpServer front;
    final FixedLocator locator = new FixedLocator();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    LmtpBackEnds(Path dir, int count) throws IOException {
        QuotaPolicy quota = user -> user.equals("full") ? new QuotaPolicy.Limits(10, -1) : QuotaPolicy.Limits.NONE;
        for (int i = 0; i < count; i++) {
            SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot" + i)).withQuota(quota));
            slots.add(slot);
            LmtpServer server = new LmtpServer(config(dir, "back" + i).withQuotaTemporary(true), slot, DIRECTORY);
            server.start();
            servers.add(server);
            backends.add(new Backend("n" + i, "lmtp", "127.0.0.1", server.boundAddress().getPort()));
        }
        frontSlot = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("front")));
        RelayConfig relay = new RelayConfig(new byte[32], null, Duration.ofSeconds(5), RelayConfig.DEFAULT_LOGIN_WAIT);
        front = LmtpProxy.server(config(dir, "front"), frontSlot::openOrCreateUser, DIRECTORY, new MemoryBudget(64L << 20),
                locator, relay, meters);
        front.start();
    }

    static LmtpConfig config(Path dir, String host) {
        return LmtpConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)).withHostname(host + ".test").withSpoolDirectory(dir);
    }

    int frontPort() { return front.boundAddress().getPort(); }

    /** The bodies in {@code user}'s INBOX on {@code slot}. */
    static List<String> messages(SlotStore slot, String user) throws IOException {
        if (!slot.hasUser(user)) return List.of();
        UserStore u = slot.user(user);
        MailboxInfo info = u.mailbox("INBOX").orElseThrow();
        var snapshot = u.view(info.id()).snapshot();
        List<Uid> uids = new ArrayList<>();
        for (int i = 0; i < snapshot.size(); i++) uids.add(snapshot.uid(i));
        List<String> out = new ArrayList<>();
        for (var m : u.messages(info.id(), uids)) {
            try (InputStream in = u.openBody(m.body())) {
                out.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** Forwarded recipients counted by the proxy's meter, every node and class. */
    double forwardedRecipients() {
        return meters.find("cairn.proxy.lmtp.recipients").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Override public void close() {
        front.close();
        frontSlot.close();
        servers.forEach(LmtpServer::close);
        slots.forEach(SlotStore::close);
    }
}
