// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.UserStore;
import dev.cairn.testkit.Conversation;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recipients the resolver places elsewhere: accepted at RCPT, passed to the {@link Forwarder}
 * once per target with each address once, and answered after DATA with the forwarder's replies
 * in RCPT order among the local ones (RFC 2033 §4.2).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LmtpForwardingIT {
    @TempDir Path spool;
    final Map<String, MemoryUserStore> stores = new ConcurrentHashMap<>();
    final MapRecipientResolver directory = new MapRecipientResolver(Map.of(
            "alice@example.com", "alice", "bob@example.com", "bob", "carol@example.com", "carol", "dave@example.com", "dave"));
    /** carol is on node n1, dave on n2; alice and bob are here. */
    final RecipientResolver resolver = address -> switch (directory.resolve(address)) {
        case RecipientResolver.Lookup.Found f when f.recipient().user().equals("carol") -> new RecipientResolver.Lookup.Elsewhere(f.recipient(), "n1");
        case RecipientResolver.Lookup.Found f when f.recipient().user().equals("dave") -> new RecipientResolver.Lookup.Elsewhere(f.recipient(), "n2");
        case RecipientResolver.Lookup other -> other;
    };
    record Call(Object target, String sender, List<String> addresses, String body) {}
    final List<Call> calls = new CopyOnWriteArrayList<>();
    LmtpServer server;
    Conversation s;

    @BeforeEach
    void stores() {
        stores.put("alice", new MemoryUserStore("alice"));
        stores.put("bob", new MemoryUserStore("bob"));
    }

    @AfterEach
    void stop() throws IOException {
        if (s != null) s.close();
        if (server != null) server.close();
    }

    void start(Forwarder forwarder) throws IOException {
        server = new LmtpServer(LmtpConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)).withHostname("front.test")
                .withSpoolDirectory(spool), user -> (UserStore) stores.get(user), resolver);
        if (forwarder != null) server.forwarder(forwarder);
        server.start();
        s = new Conversation(server.boundAddress());
        s.run("S: 220 front.test Cairn LMTP ready\nC: LHLO mta.test\n" + LmtpConversationIT.LHLO_REPLY.replace("mx.test", "front.test"));
    }

    /** Records each call and answers "250 ... <a> on TARGET" for every address, or 452 for dave+full. */
    Forwarder recording() {
        return (target, mail, addresses, body) -> {
            String content;
            try (InputStream in = body.open()) {
                content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            calls.add(new Call(target, mail.reversePath(), addresses, content));
            List<String> replies = new ArrayList<>();
            for (String a : addresses) replies.add(a.startsWith("dave+full") ? "452 4.2.2 <" + a + "> Mailbox full" : "250 2.0.0 <" + a + "> Saved on " + target);
            return replies;
        };
    }

    @Test
    void forwardedRepliesComeInRcptOrderAmongTheLocalOnesAndEachTargetIsCalledOnce() throws IOException {
        start(recording());
        s.run("""
                C: MAIL FROM:<s@remote.example><CRLF>RCPT TO:<carol@example.com><CRLF>RCPT TO:<alice@example.com><CRLF>\
                RCPT TO:<dave@example.com><CRLF>RCPT TO:<carol@example.com><CRLF>RCPT TO:<dave+full@example.com><CRLF>\
                RCPT TO:<bob@example.com><CRLF>DATA
                S: 250 2.1.0 Sender OK
                S: 250 2.1.5 <carol@example.com> Recipient OK
                S: 250 2.1.5 <alice@example.com> Recipient OK
                S: 250 2.1.5 <dave@example.com> Recipient OK
                S: 250 2.1.5 <carol@example.com> Recipient OK
                S: 250 2.1.5 <dave+full@example.com> Recipient OK
                S: 250 2.1.5 <bob@example.com> Recipient OK
                S: 354…
                C= Subject: x<CRLF><CRLF>..dot<CRLF>.<CRLF>
                S: 250 2.0.0 <carol@example.com> Saved on n1
                S: 250 2.0.0 <alice@example.com> Saved in INBOX as UID 1
                S: 250 2.0.0 <dave@example.com> Saved on n2
                S: 250 2.0.0 <carol@example.com> Saved on n1
                S: 452 4.2.2 <dave+full@example.com> Mailbox full
                S: 250 2.0.0 <bob@example.com> Saved in INBOX as UID 1
                """);
        assertThat(calls).hasSize(2);
        Call n1 = calls.stream().filter(c -> c.target().equals("n1")).findFirst().orElseThrow();
        Call n2 = calls.stream().filter(c -> c.target().equals("n2")).findFirst().orElseThrow();
        assertThat(n1.addresses()).as("an address given twice goes once").containsExactly("carol@example.com");
        assertThat(n2.addresses()).containsExactly("dave@example.com", "dave+full@example.com");
        assertThat(n1.sender()).isEqualTo("s@remote.example");
        // The front's trace field, then the message as received: no Return-Path (the back-end adds it).
        assertThat(n1.body()).startsWith("Received: from mta.test").contains("by front.test").endsWith("\r\nSubject: x\r\n\r\n.dot\r\n")
                .doesNotContain("Return-Path");
        assertThat(stores.get("alice").messages("INBOX")).hasSize(1);
    }

    @Test
    void aForwarderThatFailsTempfailsOnlyItsOwnRecipients() throws IOException {
        start((target, mail, addresses, body) -> {
            if (target.equals("n2")) throw new IllegalStateException("boom");
            return List.of(); // n1 answers out of shape: no reply for its recipient
        });
        s.run("""
                C: MAIL FROM:<s@remote.example><CRLF>RCPT TO:<carol@example.com><CRLF>RCPT TO:<alice@example.com><CRLF>RCPT TO:<dave@example.com><CRLF>DATA
                S: 250 2.1.0 Sender OK
                S: 250 2.1.5 <carol@example.com> Recipient OK
                S: 250 2.1.5 <alice@example.com> Recipient OK
                S: 250 2.1.5 <dave@example.com> Recipient OK
                S: 354…
                C= x<CRLF>.<CRLF>
                S: 451 4.3.0 <carol@example.com> Temporary failure, try again later
                S: 250 2.0.0 <alice@example.com> Saved in INBOX as UID 1
                S: 451 4.3.0 <dave@example.com> Temporary failure, try again later
                """);
    }

    @Test
    void withoutAForwarderARecipientPlacedElsewhereIsDeferredAtRcpt() throws IOException {
        start(null);
        s.run("""
                C: MAIL FROM:<s@remote.example>
                S: 250 2.1.0 Sender OK
                C: RCPT TO:<carol@example.com>
                S: 451 4.3.0 <carol@example.com> This node cannot take mail for carol now
                C: RCPT TO:<alice@example.com>
                S: 250 2.1.5 <alice@example.com> Recipient OK
                """);
    }
}
