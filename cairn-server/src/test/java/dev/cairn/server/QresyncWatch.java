// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A QRESYNC client (RFC 7162) that keeps syncing alice's INBOX through one address until
 * stopped: ENABLE QRESYNC, SELECT INBOX with the UIDVALIDITY and HIGHESTMODSEQ it knows, then new
 * UIDs with their Message-IDs every 100 ms; when its connection ends it connects again. Every
 * (UIDVALIDITY, UID) it sees is kept with its Message-ID: a second Message-ID for one is a reused UID.
 */
final class QresyncWatch {
    private static final Pattern UID = Pattern.compile("^\\* \\d+ FETCH \\(.*UID (\\d+)");
    private static final Pattern MESSAGE_ID = Pattern.compile("^Message-ID: <(.*)>", Pattern.CASE_INSENSITIVE);
    private static final Pattern UIDVALIDITY = Pattern.compile("\\[UIDVALIDITY (\\d+)\\]");
    private static final Pattern HIGHESTMODSEQ = Pattern.compile("HIGHESTMODSEQ (\\d+)");

    /** Opens a logged-in session (an exception: the login failed, or the connection, or finding where to connect). */
    @FunctionalInterface
    interface Connect {
        NodeProcesses.Imap open() throws Exception;
    }

    /** One connection: when it was asked for and logged in ({@link System#nanoTime}), and how the login went. */
    record Login(long asked, long answered, String failure) {
        long millis() { return (answered - asked) / 1_000_000; }
    }

    private final Connect connect;
    /** (UIDVALIDITY/UID) -> Message-ID, shared by the watches of one test. */
    private final Map<String, String> uids;
    private final List<String> reused = Collections.synchronizedList(new ArrayList<>());
    private final List<Login> logins = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger ended = new AtomicInteger();
    private volatile boolean running = true;
    private final Thread thread;

    QresyncWatch(String name, Connect connect, Map<String, String> uids) {
        this.connect = connect;
        this.uids = uids;
        thread = Thread.ofPlatform().daemon().name("qresync-" + name).start(this::run);
    }

    static Map<String, String> sharedUids() { return new ConcurrentHashMap<>(); }

    List<Login> logins() { return List.copyOf(logins); }

    /** How many sessions ended under the client (not by {@link #stop}). */
    int ended() { return ended.get(); }

    List<String> reused() { return List.copyOf(reused); }

    void stop() throws InterruptedException {
        running = false;
        thread.join(60_000);
    }

    private void run() {
        long uidValidity = 0, modSeq = 0;
        while (running) {
            long asked = System.nanoTime();
            NodeProcesses.Imap imap;
            try {
                imap = connect.open();
            } catch (Exception e) {
                logins.add(new Login(asked, System.nanoTime(), String.valueOf(e.getMessage())));
                pause();
                continue;
            }
            logins.add(new Login(asked, System.nanoTime(), null));
            try (imap) {
                imap.command("ENABLE QRESYNC");
                List<String> select = imap.command(uidValidity == 0 ? "SELECT INBOX" : "SELECT INBOX (QRESYNC (" + uidValidity + " " + modSeq + "))");
                if (!select.getLast().contains(" OK")) throw new IOException("SELECT: " + select.getLast());
                for (String l : select) {
                    Matcher v = UIDVALIDITY.matcher(l), m = HIGHESTMODSEQ.matcher(l);
                    if (v.find()) uidValidity = Long.parseLong(v.group(1));
                    if (m.find()) modSeq = Long.parseLong(m.group(1));
                }
                long next = 1;
                while (running) {
                    List<String> lines = imap.command("UID FETCH " + next + ":* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
                    if (!lines.getLast().contains(" OK")) throw new IOException("UID FETCH: " + lines.getLast());
                    long uid = -1;
                    for (String l : lines) {
                        Matcher u = UID.matcher(l), id = MESSAGE_ID.matcher(l);
                        if (u.find()) uid = Long.parseLong(u.group(1));
                        else if (id.find() && uid > 0) {
                            String was = uids.putIfAbsent(uidValidity + "/" + uid, id.group(1));
                            if (was != null && !was.equals(id.group(1))) {
                                reused.add("UIDVALIDITY " + uidValidity + " UID " + uid + ": " + was + " and " + id.group(1));
                            }
                            next = Math.max(next, uid + 1);
                            uid = -1;
                        }
                    }
                    for (String l : imap.command("STATUS INBOX (HIGHESTMODSEQ)")) {
                        Matcher m = HIGHESTMODSEQ.matcher(l);
                        if (m.find()) modSeq = Long.parseLong(m.group(1));
                    }
                    Thread.sleep(100);
                }
            } catch (IOException e) {
                if (running) ended.incrementAndGet(); // the session ended under us: again, through the same address
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
