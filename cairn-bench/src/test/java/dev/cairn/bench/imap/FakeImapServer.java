// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny in-memory IMAP server with exactly the commands the bench sends, correct by default
 * (sessions see each other's appends and expunges at command ends, RFC 9051 section 7.4.1),
 * or broken on purpose in one way, to show that the bench notices.
 */
final class FakeImapServer implements Closeable {

    enum Fault {
        NONE,
        /** UIDs are computed as highest present + 1: expunging the last message reuses its UID. */
        REUSE_UID,
        /** STORE +FLAGS (\Flagged) is ignored, and the FETCH answer says so. */
        DROP_FLAG,
        /** STORE +FLAGS (\Answered) is answered as done but never kept. */
        FORGET_FLAG,
        /** NOOP reports one message fewer without any EXPUNGE. */
        EXISTS_BACKWARDS,
        /** A fetched body has its last byte changed. */
        CORRUPT_BODY,
        /**
         * Not a fault: every third UID STORE +FLAGS finds its message flagged \Deleted and expunged by
         * another session just before it runs, so the STORE changes nothing (RFC 2180 section 4.2)
         * and its answer carries that session's FETCH (without the stored flag) and the EXPUNGE.
         */
        EXPUNGED_UNDER_STORE,
        /** A keyword is used in FETCH without a FLAGS response naming it first. */
        UNANNOUNCED_KEYWORD,
        /** After a STORE's FETCH, the message's previous state (older MODSEQ) is told again. */
        MODSEQ_BACKWARDS,
    }

    private static final long UID_VALIDITY = 1_700_000_000L;
    private static final Pattern APPEND = Pattern.compile("APPEND (\\S+)(?: \\(([^)]*)\\))? \\{(\\d+)(\\+?)}",
        Pattern.CASE_INSENSITIVE);

    private final Fault fault;
    private final String capabilities;
    private final ServerSocket server;
    private final Map<String, Mailbox> mailboxes = new ConcurrentHashMap<>();
    private final Thread acceptor;
    private final java.util.concurrent.atomic.AtomicInteger stores = new java.util.concurrent.atomic.AtomicInteger();
    /** How many STOREs met a message expunged under them ({@link Fault#EXPUNGED_UNDER_STORE}). */
    final java.util.concurrent.atomic.AtomicInteger expungedUnderStore = new java.util.concurrent.atomic.AtomicInteger();

    FakeImapServer(Fault fault) throws IOException {
        this(fault, true, null);
    }

    /**
     * @param literalPlus whether to offer LITERAL+ (else clients must wait for "+" before a literal)
     * @param tls null for plain sockets, else implicit TLS with this context
     */
    FakeImapServer(Fault fault, boolean literalPlus, javax.net.ssl.SSLContext tls) throws IOException {
        this.fault = fault;
        this.capabilities = "IMAP4rev1 UIDPLUS CONDSTORE" + (literalPlus ? " LITERAL+" : "");
        this.server = tls == null ? new ServerSocket(0, 50, InetAddress.getLoopbackAddress())
            : tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofVirtual().start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }

    private static final class Message {
        final long uid;
        final byte[] body;
        final Set<String> flags = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        long modSeq;

        Message(long uid, byte[] body) {
            this.uid = uid;
            this.body = body;
        }
    }

    private static final class Mailbox {
        final TreeMap<Long, Message> messages = new TreeMap<>();
        long uidNext = 1;
        long highestModSeq = 1;
        /** Every keyword ever used here (what FLAGS names). */
        final Set<String> keywords = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

        void use(Set<String> flags) {
            for (String flag : flags) {
                if (!flag.startsWith("\\")) {
                    keywords.add(flag);
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            new Session(new java.io.BufferedInputStream(socket.getInputStream()),
                new BufferedOutputStream(socket.getOutputStream())).run();
        } catch (IOException e) {
            // the client went away
        }
    }

    private final class Session {
        private final InputStream in;
        private final OutputStream out;
        private Mailbox mailbox;
        private final List<Long> view = new ArrayList<>();
        private boolean selected;
        private boolean condStore;
        private final Set<String> announced = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

        Session(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        void run() throws IOException {
            send("* OK [CAPABILITY " + capabilities + "] fake ready");
            String line;
            while ((line = line()) != null) {
                int space = line.indexOf(' ');
                String tag = line.substring(0, space);
                String command = line.substring(space + 1);
                String verb = command.split(" ")[0].toUpperCase(Locale.ROOT);
                if (verb.equals("UID")) {
                    verb = "UID " + command.split(" ")[1].toUpperCase(Locale.ROOT);
                }
                switch (verb) {
                    case "CAPABILITY" -> {
                        send("* CAPABILITY " + capabilities);
                        send(tag + " OK done");
                    }
                    case "LOGIN" -> {
                        String user = command.split(" ")[1].replace("\"", "");
                        mailbox = mailboxes.computeIfAbsent(user, u -> new Mailbox());
                        send(tag + " OK [CAPABILITY " + capabilities + "] logged in");
                    }
                    case "SELECT" -> select(tag, command.toUpperCase(Locale.ROOT).contains("(CONDSTORE)"));
                    case "UID FETCH" -> fetch(tag, command);
                    case "UID STORE" -> store(tag, command);
                    case "EXPUNGE" -> {
                        synchronized (mailbox) {
                            mailbox.messages.values().removeIf(m -> m.flags.contains("\\Deleted"));
                        }
                        sync();
                        send(tag + " OK expunged");
                    }
                    case "APPEND" -> append(tag, command);
                    case "LIST" -> {
                        send("* LIST (\\HasNoChildren) \"/\" INBOX");
                        send(tag + " OK listed");
                    }
                    case "STATUS" -> {
                        synchronized (mailbox) {
                            send("* STATUS INBOX (MESSAGES " + mailbox.messages.size() + " UIDNEXT " + uidNext()
                                + " UIDVALIDITY " + UID_VALIDITY + " UNSEEN 0)");
                        }
                        send(tag + " OK status");
                    }
                    case "NOOP" -> {
                        if (fault == Fault.EXISTS_BACKWARDS && view.size() > 1) {
                            send("* " + (view.size() - 1) + " EXISTS");
                        }
                        sync();
                        send(tag + " OK noop");
                    }
                    case "LOGOUT" -> {
                        send("* BYE bye");
                        send(tag + " OK logged out");
                        return;
                    }
                    default -> send(tag + " BAD unknown command");
                }
            }
        }

        private long uidNext() {
            if (fault == Fault.REUSE_UID) {
                return mailbox.messages.isEmpty() ? 1 : mailbox.messages.lastKey() + 1;
            }
            return mailbox.uidNext;
        }

        private void select(String tag, boolean condStore) throws IOException {
            synchronized (mailbox) {
                view.clear();
                view.addAll(mailbox.messages.keySet());
                selected = true;
                this.condStore |= condStore;
                announceFlags();
                send("* " + view.size() + " EXISTS");
                send("* OK [UIDVALIDITY " + UID_VALIDITY + "] ok");
                send("* OK [UIDNEXT " + uidNext() + "] ok");
            }
            send(tag + " OK [READ-WRITE] selected");
        }

        private void fetch(String tag, String command) throws IOException {
            String[] words = command.split(" ");
            String set = words[2];
            boolean body = command.toUpperCase(Locale.ROOT).contains("BODY.PEEK[]");
            synchronized (mailbox) {
                for (int i = 0; i < view.size(); i++) {
                    long uid = view.get(i);
                    Message message = mailbox.messages.get(uid);
                    if (message == null || !(set.equals("1:*") || set.equals(Long.toString(uid)))) {
                        continue;
                    }
                    if (body) {
                        byte[] bytes = message.body.clone();
                        if (fault == Fault.CORRUPT_BODY) {
                            bytes[bytes.length - 1] ^= 1;
                        }
                        write("* " + (i + 1) + " FETCH (UID " + uid + " RFC822.SIZE " + bytes.length + " BODY[] {"
                            + bytes.length + "}\r\n");
                        out.write(bytes);
                        send(")");
                    } else {
                        sendFlags(i + 1, uid, message.flags, message.modSeq);
                    }
                }
            }
            sync();
            send(tag + " OK fetched");
        }

        private void store(String tag, String command) throws IOException {
            Matcher m = Pattern.compile("UID STORE (\\d+) ([+-])FLAGS \\(([^)]*)\\)", Pattern.CASE_INSENSITIVE).matcher(command);
            if (!m.matches()) {
                send(tag + " BAD store syntax");
                return;
            }
            long uid = Long.parseLong(m.group(1));
            boolean add = m.group(2).equals("+");
            String flag = m.group(3);
            synchronized (mailbox) {
                Message message = mailbox.messages.get(uid);
                int index = view.indexOf(uid);
                if (message != null && index >= 0) {
                    Set<String> reported = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
                    if (add && fault == Fault.EXPUNGED_UNDER_STORE && !flag.equalsIgnoreCase("\\Deleted")
                            && !message.flags.contains(flag) && stores.incrementAndGet() % 3 == 0) {
                        message.flags.add("\\Deleted");
                        message.modSeq = ++mailbox.highestModSeq;
                        sendFlags(index + 1, uid, message.flags, message.modSeq);
                        mailbox.messages.remove(uid);
                        expungedUnderStore.incrementAndGet();
                        sync();
                        send(tag + " OK stored");
                        return;
                    }
                    if (add && fault == Fault.DROP_FLAG && flag.equalsIgnoreCase("\\Flagged")) {
                        reported.addAll(message.flags);
                    } else if (add && fault == Fault.FORGET_FLAG && flag.equalsIgnoreCase("\\Answered")) {
                        reported.addAll(message.flags);
                        reported.add(flag);
                    } else {
                        Set<String> before = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
                        before.addAll(message.flags);
                        long modSeqBefore = message.modSeq;
                        if (add ? message.flags.add(flag) : message.flags.remove(flag)) {
                            message.modSeq = ++mailbox.highestModSeq;
                            mailbox.use(message.flags);
                        }
                        reported.addAll(message.flags);
                        if (fault == Fault.MODSEQ_BACKWARDS && message.modSeq != modSeqBefore) {
                            // the new state, then the one before it: the client keeps the stale one
                            sendFlags(index + 1, uid, reported, message.modSeq);
                            sendFlags(index + 1, uid, before, modSeqBefore);
                            sync();
                            send(tag + " OK stored");
                            return;
                        }
                    }
                    sendFlags(index + 1, uid, reported, message.modSeq);
                }
            }
            sync();
            send(tag + " OK stored");
        }

        private void append(String tag, String command) throws IOException {
            Matcher m = APPEND.matcher(command);
            if (!m.matches()) {
                send(tag + " BAD append syntax");
                return;
            }
            int length = Integer.parseInt(m.group(3));
            if (m.group(4).isEmpty()) {
                send("+ go ahead");
            }
            byte[] body = in.readNBytes(length);
            String rest = line();
            if (body.length != length || rest == null || !rest.isEmpty()) {
                send(tag + " BAD literal");
                return;
            }
            long uid;
            synchronized (mailbox) {
                uid = uidNext();
                mailbox.uidNext = uid + 1;
                Message message = new Message(uid, body);
                if (m.group(2) != null && !m.group(2).isBlank()) {
                    message.flags.addAll(List.of(m.group(2).split(" ")));
                }
                message.modSeq = ++mailbox.highestModSeq;
                mailbox.use(message.flags);
                mailbox.messages.put(uid, message);
            }
            sync();
            send(tag + " OK [APPENDUID " + UID_VALIDITY + " " + uid + "] appended");
        }

        /** FLAGS with every keyword of the mailbox (RFC 9051 section 7.3.5). */
        private void announceFlags() throws IOException {
            announced.addAll(mailbox.keywords);
            send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft"
                + (announced.isEmpty() ? "" : " " + String.join(" ", announced)) + ")");
        }

        /** A FETCH of a message's flags (and MODSEQ once CONDSTORE is on), its new keywords announced first. */
        private void sendFlags(int msn, long uid, Set<String> flags, long modSeq) throws IOException {
            boolean unknown = flags.stream().anyMatch(f -> !f.startsWith("\\") && !announced.contains(f));
            if (unknown && fault != Fault.UNANNOUNCED_KEYWORD) {
                announceFlags();
            }
            send("* " + msn + " FETCH (UID " + uid + " FLAGS (" + String.join(" ", flags) + ")"
                + (condStore ? " MODSEQ (" + modSeq + ")" : "") + ")");
        }

        /** Tells the session of expunges (highest sequence first) and of new messages. */
        private void sync() throws IOException {
            if (!selected) {
                return;
            }
            synchronized (mailbox) {
                for (int i = view.size() - 1; i >= 0; i--) {
                    if (!mailbox.messages.containsKey(view.get(i))) {
                        view.remove(i);
                        send("* " + (i + 1) + " EXPUNGE");
                    }
                }
                long last = view.isEmpty() ? 0 : view.getLast();
                int before = view.size();
                view.addAll(mailbox.messages.tailMap(last, false).keySet());
                if (view.size() != before) {
                    send("* " + view.size() + " EXISTS");
                }
            }
        }

        private String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != -1) {
                if (c == '\n') {
                    byte[] bytes = line.toByteArray();
                    return new String(bytes, 0, Math.max(0, bytes.length - 1), StandardCharsets.UTF_8);
                }
                line.write(c);
            }
            return null;
        }

        private void write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }

        private void send(String line) throws IOException {
            write(line + "\r\n");
            out.flush();
        }
    }
}
