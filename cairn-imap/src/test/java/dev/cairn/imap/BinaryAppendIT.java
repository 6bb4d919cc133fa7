// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * BINARY (RFC 3516): a message APPENDed in a literal8 may hold NUL octets, which a normal literal
 * may never carry (RFC 9051 §4.3). FETCH BODY[...] answers with normal literals, so the parts that
 * hold NUL are stored base64-encoded and BINARY[...] gives the octets back in a literal8.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BinaryAppendIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    /** APPEND with a non-synchronising literal8 of the message's lines joined with CRLF. */
    private static String appendBinary(String tag, String... lines) {
        String message = String.join("\r\n", lines);
        return "C: " + tag + " APPEND INBOX ~{" + message.getBytes(StandardCharsets.UTF_8).length + "+}\n"
                + "C: " + message.replace("\r\n", "<CRLF>") + "\n";
    }

    @Test void nulOctetsAppendedInALiteral8NeverLeaveInANormalLiteral() throws Exception {
        Conversation.play(server.port(), "C: a LOGIN bin1 pw-bin1\nS~ a OK .*\n"
                + appendBinary("b", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"b\"", "",
                        "--b", "Content-Type: text/plain", "", "text part", "--b", "Content-Type: application/octet-stream",
                        "Content-Transfer-Encoding: binary", "", "a\0b\0c", "--b--")
                + "S~ b OK \\[APPENDUID \\d+ 1\\] APPEND completed\n"
                + appendBinary("c", "Content-Type: application/octet-stream", "", "x\0y")
                + "S~ c OK \\[APPENDUID \\d+ 2\\] APPEND completed\n"
                + appendBinary("d", "Subject: plain", "", "no NUL here")
                + "S~ d OK \\[APPENDUID \\d+ 3\\] APPEND completed\n"
                // NUL in a header: no Content-Transfer-Encoding can carry it (RFC 3516 §4.3: NO [UNKNOWN-CTE])
                + appendBinary("e", "Subject: a\0b", "", "body")
                + "S: e NO [UNKNOWN-CTE] Cannot store this binary message: NUL octet outside a body part's content\n"
                + """
                C: f SELECT INBOX
                S* f OK .*
                C: g FETCH 1 (BODY.PEEK[2])
                S: * 1 FETCH (BODY[2] {8}
                S: YQBiAGM=)
                S: g OK FETCH completed
                C: h FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])
                S: * 1 FETCH (BINARY[2] ~{5}
                S: a\0b\0c BINARY.SIZE[2] 5)
                S: h OK FETCH completed
                C: i FETCH 1 (BODY.PEEK[2.MIME])
                S: * 1 FETCH (BODY[2.MIME] {77}
                S: Content-Type: application/octet-stream
                S: Content-Transfer-Encoding: base64
                S:
                S: )
                S: i OK FETCH completed
                C: j FETCH 1 (BODY.PEEK[1])
                S: * 1 FETCH (BODY[1] {9}
                S: text part)
                S: j OK FETCH completed
                C: k FETCH 2 (BODY.PEEK[] BINARY.PEEK[1])
                S: * 2 FETCH (BODY[] {81}
                S: Content-Type: application/octet-stream
                S: Content-Transfer-Encoding: base64
                S:
                S: eAB5 BINARY[1] ~{3}
                S: x\0y)
                S: k OK FETCH completed
                C: l FETCH 3 (BODY.PEEK[])
                S: * 3 FETCH (BODY[] {29}
                S: Subject: plain
                S:
                S: no NUL here)
                S: l OK FETCH completed
                C: m FETCH 1 (BODYSTRUCTURE)
                S~ (?i)\\* 1 FETCH \\(BODYSTRUCTURE \\(\\("TEXT" "PLAIN" .*\\)\\("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 8[ )].*
                S: m OK FETCH completed
                """);
    }

    /** A literal8 large enough to be spooled to disk is converted the same way. */
    @Test void aSpooledLiteral8WithNulIsStoredBase64() throws Exception {
        byte[] content = new byte[300_000];
        for (int i = 0; i < content.length; i++) content[i] = (byte) (i % 7 == 0 ? 0 : 'a' + i % 26);
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        message.writeBytes("Content-Type: application/octet-stream\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        message.writeBytes(content);
        try (Conversation c = new Conversation(server.port())) {
            c.run("C: a LOGIN bin2 pw-bin2\nS~ a OK .*\n");
            c.send("b APPEND INBOX ~{" + message.size() + "+}\r\n");
            c.send(message.toByteArray());
            c.run("""
                    C:
                    S~ b OK .*
                    C: c SELECT INBOX
                    S* c OK .*
                    C: d FETCH 1 (BINARY.SIZE[1] RFC822.SIZE)
                    S~ \\* 1 FETCH \\(BINARY.SIZE\\[1\\] 300000 RFC822.SIZE \\d+\\)
                    S: d OK FETCH completed
                    C: e FETCH 1 (BODY.PEEK[])
                    S~ \\* 1 FETCH \\(BODY\\[\\] \\{\\d+\\}
                    """);
            StringBuilder body = new StringBuilder();
            String line;
            while (!(line = c.readLine()).equals("e OK FETCH completed")) body.append(line).append('\n');
            assertThat(body.toString()).contains("Content-Transfer-Encoding: base64").doesNotContain("\0");
        }
    }

    /**
     * RFC 3516 §4.2: BINARY gives a part's content with its Content-Transfer-Encoding undone (base64,
     * quoted-printable; partial ranges count decoded octets), and a part whose encoding the server
     * cannot undo is refused with NO [UNKNOWN-CTE], BINARY.SIZE too; BODY[] still sends it as stored.
     */
    @Test void binaryDecodesKnownEncodingsAndRefusesAnUnknownOne() throws Exception {
        Conversation.play(server.port(), "C: a LOGIN bin3 pw-bin3\nS~ a OK .*\n"
                + Scripts.append("b", "INBOX", null, "Content-Type: multipart/mixed; boundary=\"b\"", "",
                        "--b", "Content-Type: text/plain", "Content-Transfer-Encoding: base64", "", "aGVsbG8gd29ybGQ=",
                        "--b", "Content-Type: application/octet-stream", "Content-Transfer-Encoding: x-uuencode", "", "begin 644 x",
                        "--b--")
                + Scripts.append("c", "INBOX", null, "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: Quoted-Printable",
                        "", "caf=C3=A9 =3D ok")
                + """
                C: d SELECT INBOX
                S* d OK .*
                C: e FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])
                S: * 1 FETCH (BINARY[1] {11}
                S: hello world BINARY.SIZE[1] 11)
                S: e OK FETCH completed
                C: f FETCH 1 (BINARY.PEEK[2])
                S: f NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding X-UUENCODE
                C: g FETCH 1 (BINARY.SIZE[2])
                S: g NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding X-UUENCODE
                C: h FETCH 1 (BODY.PEEK[2])
                S: * 1 FETCH (BODY[2] {11}
                S: begin 644 x)
                S: h OK FETCH completed
                C: i FETCH 2 (BINARY.PEEK[1]<0.5> BINARY.SIZE[1])
                S: * 2 FETCH (BINARY[1]<0> {5}
                S: café BINARY.SIZE[1] 10)
                S: i OK FETCH completed
                C: j FETCH 2 (BINARY.PEEK[])
                S: * 2 FETCH (BINARY[] {10}
                S: café = ok)
                S: j OK FETCH completed
                C: k FETCH 1:2 (FLAGS)
                S: * 1 FETCH (FLAGS (\\Recent))
                S: * 2 FETCH (FLAGS (\\Recent))
                S: k OK FETCH completed
                """);
    }
}
