// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.crash;

import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.UserStore;
import dev.cairn.store.rocks.RocksSlotStore;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * The process {@link CrashIT} kills: appends from several threads into a synced slot forever and
 * prints each append as soon as the store acknowledged it: "ACK user mailbox uid sha256 END".
 */
public final class CrashWriter {
    static final String[] USERS = {"alice", "bob", "carol"};
    static final String[] MAILBOXES = {"INBOX", "Archive"};

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        int threads = 6;
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true));
        for (String u : USERS) slot.openOrCreateUser(u);
        slot.openOrCreateUser("churn");
        out.println("READY");
        // One thread churns another user: appends bodies shared with the others, flags, moves and
        // expunges them, so a kill also lands in the middle of reference-count decrements.
        Thread.ofPlatform().start(() -> {
            Random r = new Random(seed);
            try {
                UserStore u = slot.user("churn");
                var inbox = u.mailbox("INBOX").orElseThrow().id();
                for (long n = 0; ; n++) {
                    var a = u.append("INBOX", List.of(new NewMessage(BodySource.of(body(r, seed, n)), Flags.NONE, Instant.now())));
                    var uid = a.uids().getFirst();
                    switch (r.nextInt(3)) {
                        case 0 -> u.storeFlags(inbox, List.of(uid), dev.cairn.store.Results.FlagOp.ADD, Flags.of("\\Seen", "$k"), java.util.OptionalLong.empty());
                        case 1 -> u.move(inbox, List.of(uid), "Trash");
                        default -> u.expunge(inbox, List.of(uid));
                    }
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
        });
        for (int t = 0; t < threads; t++) {
            long s = seed * 100 + t;
            Thread.ofPlatform().start(() -> {
                Random r = new Random(s);
                try {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    for (long n = 0; ; n++) {
                        String user = USERS[r.nextInt(USERS.length)];
                        String mailbox = MAILBOXES[r.nextInt(MAILBOXES.length)];
                        byte[] body = body(r, s, n);
                        UserStore u = slot.user(user);
                        AppendResult a = u.append(mailbox, List.of(new NewMessage(BodySource.of(body), Flags.NONE, Instant.now())));
                        String hex = HexFormat.of().formatHex(sha.digest(body));
                        synchronized (out) {
                            out.println("ACK " + user + " " + mailbox + " " + a.uids().getFirst().value() + " " + hex + " END");
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
        }
    }

    /** Mostly small messages, some shared by several appends (single-instance storage), now and then one over 1 MiB (more than one read of a body stream). */
    static byte[] body(Random r, long seed, long n) {
        int kind = r.nextInt(20);
        if (kind < 4) return ("Subject: shared " + kind + "\r\n\r\nthe same body for everyone\r\n").getBytes(StandardCharsets.UTF_8);
        int size = kind == 19 ? (1 << 20) + r.nextInt(300_000) : 200 + r.nextInt(20_000);
        StringBuilder b = new StringBuilder("Subject: message " + seed + "/" + n + "\r\nMessage-ID: <" + seed + "." + n + "@crash>\r\n\r\n");
        while (b.length() < size) b.append(Long.toHexString(r.nextLong())).append(r.nextInt(10) == 0 ? "\r\n" : " ");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
