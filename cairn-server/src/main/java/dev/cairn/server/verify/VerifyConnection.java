// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.verify;

import dev.cairn.imap.client.ImapClient;
import dev.cairn.imap.client.ImapProtocolException;
import dev.cairn.imap.client.ImapResponse;
import dev.cairn.imap.client.ImapResponseReader;
import dev.cairn.protocol.tls.TlsSockets;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * The IMAP connection of `cairn replica verify`, on the project's one IMAP client
 * ({@link ImapClient}): connects (implicit TLS, or STARTTLS when the server refuses plaintext
 * logins), logs in with SASL PLAIN, and runs commands that must succeed. Bodies are never held:
 * the reader hashes each {@code BODY[]} as it arrives (SHA-256). Other literals and lines are
 * bounded, and lengths from the wire are checked before use.
 */
final class VerifyConnection implements Closeable {
    /** Bounds on what the server may send outside message bodies. */
    static final int MAX_LINE = 1 << 20;
    static final int MAX_LITERAL = 1 << 20;
    /** 16 levels of parentheses: the outermost list is at depth 0. */
    static final int MAX_DEPTH = 15;
    static final ImapClient.Options OPTIONS = new ImapClient.Options("v",
            new ImapResponseReader.Limits(MAX_LINE, MAX_LITERAL, MAX_DEPTH, 1 << 20), ImapResponseReader.Bodies.SHA256);

    static final class ImapException extends IOException {
        ImapException(String message) { super(message); }
    }

    private final ImapClient client;

    private VerifyConnection(ImapClient client) {
        this.client = client;
    }

    /** Over given streams, after the greeting (tests feed it a server's bytes). */
    VerifyConnection(InputStream in, OutputStream out) {
        this(ImapClient.overStreams(in, out, OPTIONS));
    }

    /**
     * Connects and reads the greeting. {@code implicitTls}: TLS from the first byte (imaps).
     * Otherwise STARTTLS is run when the server refuses plaintext logins (LOGINDISABLED).
     * {@code tls} is the client context (trusting the node's certificate), or null for none.
     */
    static VerifyConnection open(InetSocketAddress address, boolean implicitTls, SSLContext tls, boolean verifyHostname)
            throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(address, 10_000);
            plain.setSoTimeout(120_000);
            ImapClient.TlsWrapper wrapper = s -> {
                if (tls == null) throw new ImapException("TLS needed but no certificate is known");
                return TlsSockets.client(tls, s, address.getHostString(), address.getPort(),
                        verifyHostname ? TlsSockets.HostCheck.NAME_MUST_MATCH : TlsSockets.HostCheck.TRUST_ONLY);
            };
            ImapClient client = ImapClient.open(implicitTls ? wrapper.wrap(plain) : plain, OPTIONS);
            if (!implicitTls && client.has("LOGINDISABLED")) {
                if (tls == null) {
                    client.close();
                    throw new ImapException("the server wants TLS before logins and no certificate is known");
                }
                client.startTls(wrapper);
            }
            return new VerifyConnection(client);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /**
     * SASL PLAIN with an authorization identity (RFC 4616), as the initial response (RFC 4959).
     * Returns the tagged answer; the caller tells OK from NO [NONEXISTENT] from a refusal.
     */
    ImapResponse.Tagged authenticatePlain(String authzid, String authcid, String password) throws IOException {
        return client.authenticatePlain(authzid, authcid, password).tagged();
    }

    /**
     * Runs a command that must succeed; its untagged data (status responses such as
     * {@code * OK [UIDVALIDITY ...]} left out). BYE ends the verification: an exception.
     */
    List<ImapResponse> command(String command) throws IOException {
        ImapClient.Result result = client.execute(command);
        if (!result.ok()) throw new ImapException(command.split(" ", 2)[0] + ": " + describe(result.tagged()));
        List<ImapResponse> data = new ArrayList<>();
        for (ImapResponse r : result.untagged()) {
            if (r instanceof ImapResponse.Condition c) {
                if (c.status() == ImapResponse.Status.BYE) throw new ImapProtocolException("the server said BYE " + c.text());
                continue;
            }
            data.add(r);
        }
        return data;
    }

    /** {@code NO [CODE] text}, as a person reads it. */
    static String describe(ImapResponse.Tagged t) {
        return t.status() + (t.code() == null ? "" : " [" + t.code().name() + "]") + " " + t.text();
    }

    /** A mailbox name as an IMAP quoted string. */
    static String quote(String name) {
        return ImapClient.quote(name);
    }

    @Override public void close() {
        client.logoutAndClose();
    }
}
