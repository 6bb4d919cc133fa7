// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * isync's {@code mbsync} (Debian package {@code isync}), a real IMAP client, syncing an account two
 * ways with a local Maildir: the configuration, a run, and the Maildir's state to compare with the
 * server's (Message-ID -> Maildir flag letters).
 */
public final class Mbsync {
    public static final Path BINARY = Path.of("/usr/bin/mbsync");

    private Mbsync() {}

    public static boolean installed() { return Files.isExecutable(BINARY); }

    /**
     * Writes {@code file}: every folder of {@code user}'s account at 127.0.0.1:{@code port} (plain
     * text, LOGIN) synced both ways with the Maildir under {@code maildir} (INBOX at {@code inbox}),
     * flags, new messages and expunges in both directions, the sync state kept in the Maildir.
     */
    public static Path configure(Path file, int port, String user, String password, Path maildir, Path inbox) throws IOException {
        Files.writeString(file, """
                IMAPAccount remote
                Host 127.0.0.1
                Port %d
                User %s
                Pass %s
                SSLType None
                AuthMechs LOGIN
                PipelineDepth 50

                IMAPStore remote-store
                Account remote

                MaildirStore local-store
                Path %s/
                Inbox %s
                SubFolders Verbatim

                Channel sync
                Far :remote-store:
                Near :local-store:
                Patterns *
                Create Both
                Expunge Both
                Sync All
                SyncState *
                """.formatted(port, user, password, maildir, inbox));
        return file;
    }

    /** One {@code mbsync -a} with {@code config}; it must end within two minutes with status 0. */
    public static void run(Path config) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(BINARY.toString(), "-c", config.toString(), "-a").redirectErrorStream(true).start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) throw new AssertionError("mbsync did not end within two minutes: " + out);
        if (p.exitValue() != 0) throw new AssertionError("mbsync ended with " + p.exitValue() + ": " + out);
    }

    /** Message-ID -> the sorted flag letters of its file's name (D F R S T), for every message in the Maildir folder. */
    public static Map<String, String> maildirState(Path folder) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String sub : new String[] {"cur", "new"}) {
            try (Stream<Path> s = Files.list(folder.resolve(sub))) {
                for (Path f : s.toList()) {
                    String name = f.getFileName().toString();
                    int at = name.indexOf(":2,");
                    char[] flags = (at < 0 ? "" : name.substring(at + 3)).toCharArray();
                    Arrays.sort(flags);
                    out.put(messageId(f), new String(flags));
                }
            }
        }
        return out;
    }

    /** The Message-ID field's value of a message file (mbsync writes LF line ends). */
    public static String messageId(Path file) throws IOException {
        String content = Files.readString(file);
        int a = content.indexOf("Message-ID: ") + 12;
        return content.substring(a, content.indexOf("\n", a)).strip();
    }
}
