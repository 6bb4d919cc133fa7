// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.protocol.Connection;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.IdleTimeoutException;
import dev.cairn.protocol.Line;
import dev.cairn.protocol.LineInput;
import dev.cairn.protocol.LineTooLongException;
import dev.cairn.protocol.NulInLineException;
import dev.cairn.protocol.TlsUpgrade;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LMTP conversation (RFC 2033). Replies are buffered and flushed when the client has no
 * more pipelined commands waiting (RFC 2920 §3), and always before a wait on the client.
 */
final class LmtpSession {
    private static final Logger log = LoggerFactory.getLogger(LmtpSession.class);
    private static final byte[] CRLF = {'\r', '\n'};
    /** Deliveries of one transaction run in parallel so they share the store's group commits. */
    private static final int PARALLEL_DELIVERIES = 32;

    private final LmtpConfig config;
    private final MemoryBudget memory;
    private final DeliveryMeters deliveries;
    private final Function<String, UserStore> users;
    private final RecipientResolver resolver;
    /** Where recipients placed elsewhere go, or null: then they are refused 451 at RCPT. */
    private final Forwarder forwarder;
    private final Connection c;
    private boolean greeted;
    /** The domain the client gave in LHLO, for the Received field. */
    private String lhloDomain;
    private Transaction tx;
    private int badCommands;

    /**
     * A recipient accepted by RCPT TO.
     *
     * @param target null: delivered here; else the {@link Forwarder}'s target
     */
    private record Accepted(String address, RecipientResolver.Recipient recipient, Object target) {}

    private static final class Transaction {
        final LmtpCommand.Mail mail;
        final List<Accepted> recipients = new ArrayList<>();
        MessageSpool bdatSpool;

        Transaction(LmtpCommand.Mail mail) { this.mail = mail; }

        void close() {
            if (bdatSpool != null) bdatSpool.close();
        }
    }

    /** Why a session ends early. */
    private static final class Hangup extends Exception {
        Hangup() { super(null, null, false, false); }
    }

    LmtpSession(LmtpConfig config, Function<String, UserStore> users, RecipientResolver resolver, Forwarder forwarder,
                MemoryBudget memory, DeliveryMeters deliveries, Connection c) {
        this.forwarder = forwarder;
        this.memory = memory;
        this.deliveries = deliveries;
        this.config = config;
        this.users = users;
        this.resolver = resolver;
        this.c = c;
    }

    void run() throws IOException {
        try {
            c.setIdleTimeout(config.limits().idleTimeout());
            reply("220 " + config.hostname() + " Cairn LMTP ready");
            while (true) {
                if (c.input().buffered() == 0) c.flush();
                byte[] raw;
                try {
                    raw = c.readCommandLine(config.limits().maxLineLength());
                } catch (LineTooLongException e) {
                    bad("500 5.5.2 Line too long");
                    continue;
                } catch (NulInLineException e) {
                    bad("500 5.5.2 NUL character in command");
                    continue;
                }
                String line = new String(raw, StandardCharsets.UTF_8);
                LmtpCommand command;
                try {
                    command = LmtpParser.parse(line);
                } catch (LmtpSyntaxException e) {
                    bad(e.reply());
                    continue;
                }
                if (!execute(command)) return;
            }
        } catch (IdleTimeoutException e) {
            reply("421 4.4.2 " + config.hostname() + " Idle timeout, closing connection");
            c.flush();
        } catch (Hangup e) {
            c.flush();
        } finally {
            if (tx != null) tx.close();
        }
    }

    /** Runs one command; false when the session is over. */
    private boolean execute(LmtpCommand command) throws IOException, Hangup {
        switch (command) {
            case LmtpCommand.Lhlo lhlo -> lhlo(lhlo);
            case LmtpCommand.Helo helo -> bad("500 5.5.1 This is LMTP: say LHLO, not " + helo.verb());
            case LmtpCommand.Mail mail -> mail(mail);
            case LmtpCommand.Rcpt rcpt -> rcpt(rcpt);
            case LmtpCommand.Data data -> data();
            case LmtpCommand.Bdat bdat -> bdat(bdat);
            case LmtpCommand.Rset rset -> {
                resetTransaction();
                reply("250 2.0.0 OK");
            }
            case LmtpCommand.Noop noop -> reply("250 2.0.0 OK");
            case LmtpCommand.Quit quit -> {
                reply("221 2.0.0 " + config.hostname() + " closing connection");
                c.flush();
                return false;
            }
            case LmtpCommand.StartTls startTls -> startTls();
            case LmtpCommand.Vrfy vrfy -> reply("252 2.5.0 Cannot VRFY, send some mail");
        }
        return true;
    }

    private void lhlo(LmtpCommand.Lhlo lhlo) throws IOException {
        resetTransaction();
        greeted = true;
        lhloDomain = lhlo.domain();
        List<String> lines = new ArrayList<>();
        lines.add(config.hostname());
        lines.add("PIPELINING");
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("SIZE " + config.maxMessageSize());
        lines.add("8BITMIME");
        lines.add("BINARYMIME");
        lines.add("CHUNKING");
        lines.add("SMTPUTF8");
        if (config.startTls() != null && c.canStartTls()) lines.add("STARTTLS");
        for (int i = 0; i < lines.size(); i++) reply("250" + (i == lines.size() - 1 ? " " : "-") + lines.get(i));
    }

    private void mail(LmtpCommand.Mail mail) throws IOException, Hangup {
        if (!greeted) {
            bad("503 5.5.1 Send LHLO first");
        } else if (tx != null) {
            bad("503 5.5.1 Nested MAIL command");
        } else if (mail.size() > config.maxMessageSize()) {
            reply("552 5.3.4 Message size exceeds fixed maximum message size of " + config.maxMessageSize() + " octets");
        } else {
            tx = new Transaction(mail);
            reply("250 2.1.0 Sender OK");
        }
    }

    private void rcpt(LmtpCommand.Rcpt rcpt) throws IOException, Hangup {
        if (tx == null) {
            bad("503 5.5.1 Need MAIL before RCPT");
            return;
        }
        String address = rcpt.address();
        if (tx.recipients.size() >= config.maxRecipients()) {
            recipientReply("452 4.5.3 Too many recipients");
            return;
        }
        if (!tx.mail.smtputf8() && !LmtpParser.isAscii(address)) {
            recipientReply("553 5.6.7 Non-ASCII address needs SMTPUTF8");
            return;
        }
        RecipientResolver.Lookup lookup;
        try {
            lookup = resolver.resolve(address);
        } catch (RuntimeException e) {
            log.warn("lmtp {}: resolving <{}> failed: {}", c.id(), address, e.toString());
            recipientReply("451 4.3.0 <" + address + "> Temporary lookup failure");
            return;
        }
        String refusal = switch (lookup) {
            case RecipientResolver.Lookup.Found found -> {
                tx.recipients.add(new Accepted(address, found.recipient(), null));
                yield null;
            }
            case RecipientResolver.Lookup.Elsewhere elsewhere when forwarder == null ->
                    "451 4.3.0 <" + address + "> This node cannot take mail for " + elsewhere.recipient().user() + " now";
            case RecipientResolver.Lookup.Elsewhere elsewhere -> {
                // The front decided: the node that takes it answers for it after DATA (RFC 2033 §4.2).
                tx.recipients.add(new Accepted(address, elsewhere.recipient(), elsewhere.target()));
                yield null;
            }
            case RecipientResolver.Lookup.Unknown unknown -> "550 5.1.1 <" + address + "> User unknown: " + unknown.reason();
            case RecipientResolver.Lookup.Disabled disabled -> "550 5.2.1 <" + address + "> Mailbox disabled: " + disabled.reason();
            case RecipientResolver.Lookup.Unavailable unavailable -> "451 4.3.0 <" + address + "> " + unavailable.reason();
        };
        if (refusal == null) {
            reply("250 2.1.5 <" + address + "> Recipient OK");
        } else {
            // The reason reaches the sender in the MTA's bounce; the log says it to the operator.
            log.info("lmtp {}: from=<{}> to=<{}>: {}", c.id(), tx.mail.reversePath(), address, refusal);
            recipientReply(refusal);
        }
    }

    private void data() throws IOException, Hangup {
        if (tx == null) {
            bad("503 5.5.1 Need MAIL before DATA");
            return;
        }
        if (tx.recipients.isEmpty()) {
            bad("503 5.5.1 No valid recipients"); // RFC 2033 §4.2
            return;
        }
        if (tx.bdatSpool != null) {
            bad("503 5.5.1 DATA after BDAT");
            return;
        }
        if (tx.mail.body() == LmtpCommand.Body.BINARY_MIME) {
            bad("503 5.5.1 BODY=BINARYMIME needs BDAT"); // RFC 3030 §3
            return;
        }
        reply("354 Start mail input; end with <CRLF>.<CRLF>");
        c.flush();
        try (MessageSpool spool = newSpool()) {
            boolean lineTooLong = readDotStuffed(c.input(), config.maxDataLineLength(), spool);
            spool.finish();
            if (lineTooLong) {
                for (Accepted a : tx.recipients) recipientReply("554 5.6.0 <" + a.address() + "> Message has a line longer than " + config.maxDataLineLength() + " octets");
            } else {
                deliver(spool);
            }
        }
        resetTransaction();
    }

    /**
     * Reads DATA up to the line "." (RFC 5321 §4.1.1.4), removing dot-stuffing (§4.5.2). Lines
     * are stored with CRLF; a bare LF is taken as a line end and stored as CRLF, since stored
     * messages are CRLF (RFC 9051 §2.3.3 sizes count CRLF). Returns true if a line was too long.
     */
    static boolean readDotStuffed(LineInput in, int maxLineLength, OutputStream spool) throws IOException {
        boolean lineTooLong = false;
        while (true) {
            Line line;
            try {
                line = in.readLine(maxLineLength, true);
            } catch (LineTooLongException e) {
                lineTooLong = true;
                continue;
            }
            byte[] b = line.bytes();
            if (b.length == 1 && b[0] == '.') return lineTooLong;
            int skip = b.length > 0 && b[0] == '.' ? 1 : 0;
            spool.write(b, skip, b.length - skip);
            spool.write(CRLF, 0, 2);
        }
    }

    private void bdat(LmtpCommand.Bdat bdat) throws IOException, Hangup {
        // The chunk follows the command whatever the answer (RFC 3030 §2): consume it first.
        if (tx == null || tx.recipients.isEmpty()) {
            c.input().skipExactly(bdat.size());
            bad(tx == null ? "503 5.5.1 Need MAIL before BDAT" : "503 5.5.1 No valid recipients");
            return;
        }
        if (tx.bdatSpool == null) tx.bdatSpool = newSpool();
        MessageSpool spool = tx.bdatSpool;
        c.input().readExactly(bdat.size(), spool);
        if (spool.tooBig()) {
            // RFC 3030 §2: after a failed chunk the transaction is over; later chunks get 503.
            reply("552 5.3.4 Message size exceeds fixed maximum message size of " + config.maxMessageSize() + " octets");
            resetTransaction();
            return;
        }
        if (!bdat.last()) {
            reply("250 2.0.0 " + bdat.size() + " octets received");
            return;
        }
        spool.finish();
        deliver(spool);
        resetTransaction();
    }

    private MessageSpool newSpool() {
        return new MessageSpool(config.memoryThreshold(), config.maxMessageSize(), config.spoolDirectory(), memory);
    }

    /**
     * Stores the message for every accepted recipient and answers one line per recipient, in
     * RCPT order (RFC 2033 §4.2). A 250 is sent only after the store's append has returned, which
     * it does only once the message is durable. The same (user, folder) gets one copy. Recipients
     * placed elsewhere go to their {@link Forwarder}, one call per target, in parallel with the
     * local appends; their replies are the target's.
     */
    private void deliver(MessageSpool spool) throws IOException {
        if (spool.tooBig()) {
            for (Accepted a : tx.recipients) recipientReply("552 5.3.4 <" + a.address() + "> Message too big");
            return;
        }
        if (spool.failure() != null) {
            log.error("lmtp {}: spooling the message failed: {}", c.id(), spool.failure().toString());
            for (Accepted a : tx.recipients) recipientReply("451 4.3.0 <" + a.address() + "> Temporary failure storing the message, try again later");
            return;
        }
        Instant received = Instant.now();
        String returnPath = "Return-Path: <" + tx.mail.reversePath() + ">\r\n";
        boolean deliveredTo = switch (config.deliveredTo()) {
            case ALWAYS -> true;
            case SINGLE_RECIPIENT -> tx.recipients.size() == 1;
            case NEVER -> false;
        };
        String trace = ReceivedHeader.of(lhloDomain,
                c.remoteAddress() instanceof java.net.InetSocketAddress inet ? inet.getAddress() : null, config.hostname(),
                c.isSecure(), tx.mail.smtputf8(), c.id(), tx.recipients.size() == 1 ? tx.recipients.getFirst().address() : null,
                received.atZone(java.time.ZoneId.systemDefault()));
        Map<String, Future<String>> byTarget = new LinkedHashMap<>();
        List<String> targetOf = new ArrayList<>();
        Semaphore parallel = new Semaphore(PARALLEL_DELIVERIES);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            // The forwards first: their round trips to other nodes are the longer wait.
            ForwardedGroups forwarded = new ForwardedGroups();
            for (Accepted a : tx.recipients) if (a.target() != null) forwarded.add(a.target(), a.address());
            if (!forwarded.isEmpty()) forwarded.submit(executor, forwarder, tx.mail, spool.withPrefix(trace.getBytes(StandardCharsets.UTF_8)));
            for (Accepted a : tx.recipients) {
                if (a.target() != null) {
                    targetOf.add(null);
                    continue;
                }
                RecipientResolver.Recipient r = a.recipient();
                String folder = folderFor(r);
                // One copy per (user, folder): an alias and the address itself, or a detail that
                // falls back to INBOX, must not store the message twice.
                String key = r.user() + "\0" + (folder != null ? folder : "?" + r.detail().orElse(""));
                targetOf.add(key);
                if (byTarget.containsKey(key)) continue;
                String prefix = returnPath + (deliveredTo ? "Delivered-To: " + a.address() + "\r\n" : "") + trace;
                BodySource body = spool.withPrefix(prefix.getBytes(StandardCharsets.UTF_8));
                byTarget.put(key, executor.submit(() -> {
                    parallel.acquire();
                    try {
                        return deliverOne(r, folder, body, received);
                    } finally {
                        parallel.release();
                    }
                }));
            }
            for (int i = 0; i < tx.recipients.size(); i++) {
                Accepted accepted = tx.recipients.get(i);
                String address = accepted.address();
                if (accepted.target() != null) {
                    String line = forwarded.reply(accepted.target(), address);
                    recipientReply(line);
                    log.info("lmtp {}: from=<{}> to=<{}> via {}: {}", c.id(), tx.mail.reversePath(), address, accepted.target(), line);
                    continue;
                }
                String outcome;
                try {
                    outcome = byTarget.get(targetOf.get(i)).get();
                } catch (ExecutionException e) {
                    log.error("lmtp {}: delivery to <{}> failed", c.id(), address, e.getCause());
                    outcome = "451 4.3.0 Temporary failure, try again later";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted during delivery", e);
                }
                if (outcome.startsWith("250")) outcome = confirmed(tx.recipients.get(i).recipient(), outcome);
                // Insert the address after the enhanced code: "250 2.0.0 <a> Saved ...".
                int second = outcome.indexOf(' ', 4);
                recipientReply(outcome.substring(0, second) + " <" + address + ">" + outcome.substring(second));
                log.info("lmtp {}: from=<{}> to=<{}>: {}", c.id(), tx.mail.reversePath(), address, outcome);
            }
        }
    }

    /** The folder a recipient's copy goes to, or null when the store cannot say now. */
    private String folderFor(RecipientResolver.Recipient r) {
        try {
            if (r.detail().isEmpty()) return "INBOX";
            UserStore store = users.apply(r.user());
            return r.detail().filter(d -> store.mailbox(d).isPresent()).orElse("INBOX");
        } catch (RuntimeException e) {
            return null; // deliverOne meets the same failure and answers it
        }
    }

    /**
     * The store's last look before a 250 leaves (a cluster master whose write lease lapsed since the
     * append's own look, e.g. frozen in between, no longer acknowledges): the 250, or a 451 (the
     * message is stored and may be kept; the client retries).
     */
    private String confirmed(RecipientResolver.Recipient r, String saved) {
        try {
            users.apply(r.user()).confirmAcknowledgement();
            return saved;
        } catch (StoreException e) {
            log.warn("lmtp {}: delivery to {} stored but not acknowledged: {}", c.id(), r.user(), e.getMessage());
            return "451 4.3.0 Mail store temporarily unavailable";
        } catch (RuntimeException e) {
            log.error("lmtp {}: delivery to {} stored but not confirmed", c.id(), r.user(), e);
            return "451 4.3.0 Temporary failure, try again later";
        }
    }

    /** One append; the reply text without the address. */
    private String deliverOne(RecipientResolver.Recipient r, String knownFolder, BodySource body, Instant received) {
        try {
            UserStore store = users.apply(r.user());
            String folder = knownFolder != null ? knownFolder : r.detail().filter(d -> store.mailbox(d).isPresent()).orElse("INBOX");
            AppendResult result;
            try {
                result = store.append(folder, List.of(new NewMessage(body, Flags.NONE, NewMessage.arrivedAt(received))));
            } catch (StoreException e) {
                // The detail folder was deleted between the look-up and the append.
                if (e.reason() != StoreException.Reason.NONEXISTENT || folder.equals("INBOX")) throw e;
                folder = "INBOX";
                result = store.append(folder, List.of(new NewMessage(body, Flags.NONE, NewMessage.arrivedAt(received))));
            }
            return "250 2.0.0 Saved in " + folder + " as UID " + result.uids().getFirst();
        } catch (StoreException e) {
            return switch (e.reason()) {
                case NO_SUCH_USER -> "550 5.1.1 User unknown";
                case TOO_BIG -> "552 5.3.4 Message too big";
                case OVER_QUOTA -> config.quotaTemporary() ? "452 4.2.2 Mailbox full" : "552 5.2.2 Mailbox full";
                case UNAVAILABLE -> "451 4.3.0 Mail store temporarily unavailable";
                case NONEXISTENT, ALREADY_EXISTS, INVALID_NAME, CANNOT, INVALID_ARGUMENT -> {
                    log.error("lmtp {}: store refused a delivery to {}: {} {}", c.id(), r.user(), e.reason(), e.getMessage());
                    yield "451 4.3.0 Temporary failure, try again later";
                }
            };
        } catch (RuntimeException e) {
            log.error("lmtp {}: delivery to {} failed", c.id(), r.user(), e);
            return "451 4.3.0 Temporary failure, try again later";
        }
    }

    private void startTls() throws IOException, Hangup {
        if (config.startTls() == null) {
            bad("502 5.5.1 STARTTLS not available");
            return;
        }
        if (!c.canStartTls()) {
            bad("503 5.5.1 TLS already active");
            return;
        }
        TlsUpgrade upgrade = c.startTls(config.startTls(), "220 2.0.0 Ready to start TLS\r\n".getBytes(StandardCharsets.US_ASCII),
                Duration.ofSeconds(30));
        if (upgrade.injectionAttempted()) {
            log.warn("lmtp {}: discarded {} octets pipelined after STARTTLS (command injection?)", c.id(), upgrade.discardedPlaintextOctets());
        }
        // RFC 3207 §4.2: forget everything learned before TLS; the client must LHLO again.
        resetTransaction();
        greeted = false;
    }

    private void resetTransaction() {
        if (tx != null) tx.close();
        tx = null;
    }

    private void bad(String reply) throws IOException, Hangup {
        reply(reply);
        if (++badCommands > config.limits().maxBadCommands()) {
            reply("421 4.7.0 " + config.hostname() + " Too many errors, closing connection");
            throw new Hangup();
        }
    }

    private void reply(String line) throws IOException { c.writeLine(line); }

    /** A recipient's final answer: sent, and counted by its outcome. */
    private void recipientReply(String line) throws IOException {
        deliveries.count(line);
        reply(line);
    }
}
