// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.Flags;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.NewMessage;
import dev.cairn.store.BodySource;
import dev.cairn.store.Results;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.testkit.Mbsync;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mbsync (isync), a real client, syncs a few hundred messages both ways with flag changes and
 * deletions on both sides, twice; both sides must end identical.
 */
class MbsyncIT {
    @TempDir Path dir;

    private static String message(String id, int n) {
        return "From: sender" + n + "@example.com\r\nTo: mb@example.com\r\nSubject: message " + n + "\r\n"
                + "Message-ID: <" + id + "@example.com>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nbody " + n + "\r\n";
    }

    @Test void twoWaySyncEndsIdentical() throws Exception {
        ExternalPrograms.require("mbsync");
        try (TestImapServer server = new TestImapServer(dir.resolve("server"))) {
            UserStore remote = server.store.openOrCreateUser("mb");
            List<NewMessage> seed = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Flags f = i % 3 == 0 ? Flags.of("\\Seen") : Flags.NONE;
                seed.add(new NewMessage(BodySource.of(message("r" + i, i).getBytes(StandardCharsets.US_ASCII)), f, Instant.now()));
            }
            remote.append("INBOX", seed);
            Path local = dir.resolve("local");
            Path inbox = local.resolve("INBOX");
            for (String sub : new String[] {"cur", "new", "tmp"}) Files.createDirectories(inbox.resolve(sub));
            for (int i = 0; i < 100; i++) {
                String flags = i % 4 == 0 ? "FS" : "";
                Files.writeString(inbox.resolve("cur").resolve("local" + i + ".cairn:2," + flags), message("l" + i, 1000 + i));
            }
            Path config = Mbsync.configure(dir.resolve("mbsyncrc"), server.port(), "mb", "pw-mb", local, inbox);

            Mbsync.run(config);
            assertThat(remoteState(remote)).hasSize(300);
            assertThat(remoteState(remote)).isEqualTo(Mbsync.maildirState(inbox));

            // changes on both sides: remote flags and an expunge, local flags and deletions
            MailboxInfo info = remote.mailbox("INBOX").orElseThrow();
            MailboxSnapshot snap = remote.view(info.id()).snapshot();
            List<Uid> flag = new ArrayList<>(), delete = new ArrayList<>();
            for (int i = 0; i < snap.size(); i++) {
                if (i % 7 == 1) flag.add(snap.uid(i));
                if (i % 11 == 2) delete.add(snap.uid(i));
            }
            remote.storeFlags(info.id(), flag, Results.FlagOp.ADD, Flags.of("\\Flagged", "\\Answered"), OptionalLong.empty());
            remote.storeFlags(info.id(), delete, Results.FlagOp.ADD, Flags.of("\\Deleted"), OptionalLong.empty());
            remote.expunge(info.id(), delete);
            List<Path> files;
            try (Stream<Path> s = Files.list(inbox.resolve("cur"))) {
                files = s.sorted().toList();
            }
            for (int i = 0; i < files.size(); i++) {
                Path f = files.get(i);
                if (i % 13 == 5) Files.delete(f);
                else if (i % 5 == 3 && !f.getFileName().toString().contains("S")) {
                    Files.move(f, f.resolveSibling(f.getFileName() + "S"));
                }
            }
            Mbsync.run(config);
            Mbsync.run(config);
            Map<String, String> r = remoteState(remote);
            assertThat(r.size()).isBetween(250, 290);
            assertThat(r).isEqualTo(Mbsync.maildirState(inbox));
            assertThat(r.values()).anyMatch(v -> v.contains("F")).anyMatch(v -> v.contains("S")).anyMatch(v -> v.contains("R"));
        }
    }

    /** Message-ID -> maildir-style flag letters, for what the server holds. */
    private static Map<String, String> remoteState(UserStore store) {
        MailboxInfo info = store.mailbox("INBOX").orElseThrow();
        MailboxSnapshot snap = store.view(info.id()).snapshot();
        List<Uid> uids = new ArrayList<>();
        for (int i = 0; i < snap.size(); i++) uids.add(snap.uid(i));
        Map<String, String> out = new TreeMap<>();
        for (MessageRecord m : store.messages(info.id(), uids)) {
            String id = store.parsed(m.body()).envelope().messageId();
            out.put(id, letters(snap.flags(snap.indexOf(m.uid()))));
        }
        return out;
    }

    private static String letters(Flags f) {
        StringBuilder sb = new StringBuilder();
        if (f.has(Flags.DRAFT)) sb.append('D');
        if (f.has(Flags.FLAGGED)) sb.append('F');
        if (f.has(Flags.ANSWERED)) sb.append('R');
        if (f.has(Flags.SEEN)) sb.append('S');
        if (f.has(Flags.DELETED)) sb.append('T');
        return sb.toString();
    }
}
