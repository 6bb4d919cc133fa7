// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.protocol.LineInput;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandParserTest {
    @TempDir Path spool;

    private static final String[] COMMANDS = {
            "a1 LOGIN alice \"pass word\"\r\n",
            "a2 LOGIN {5}\r\nalice {3+}\r\npw!\r\n",
            "a3 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
            "a4 UID FETCH 1:*,7 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (Subject From)]<0.100> BINARY[2] MODSEQ) (CHANGEDSINCE 5 VANISHED)\r\n",
            "a5 SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 OR (FLAGGED SINCE 1-Feb-2024) NOT HEADER X-Spam {3}\r\nyes UID $\r\n",
            "a6 APPEND Drafts (\\Draft) \" 5-Nov-2024 10:00:00 +0100\" {11}\r\nhello world (\\Seen) ~{3}\r\na\u0000b\r\n",
            "a7 STORE 2:4 (UNCHANGEDSINCE 12) -FLAGS.SILENT (\\Seen $Forwarded)\r\n",
            "a8 LIST (SUBSCRIBED) \"\" (INBOX* \"Sent\") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n",
            "a9 CREATE \"&ZeVnLIqe-/x\" (USE (\\Archive))\r\n",
            "b1 ID (\"name\" \"mutt\" \"version\" NIL)\r\n",
            "b2 SORT (REVERSE DATE SUBJECT) UTF-8 UNSEEN\r\n",
            "b3 AUTHENTICATE PLAIN AGFsaWNlAHB3\r\n",
            "b4 UID MOVE 4:7 Trash\r\n",
    };

    /** Returns at most {@code first} octets on the first read, then the rest one read at a time of {@code chunk}. */
    private static InputStream split(byte[] data, int first, int chunk) {
        return new InputStream() {
            int pos;
            boolean started;

            @Override public int read() { return pos < data.length ? data[pos++] & 0xff : -1; }

            @Override public int read(byte[] b, int off, int len) {
                if (pos >= data.length) return -1;
                int n = Math.min(len, started ? chunk : Math.max(1, first));
                started = true;
                n = Math.min(n, data.length - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    private CommandReader reader() {
        return new CommandReader(new CommandReader.Limits(1024, 1 << 20, 10, 4, spool));
    }

    private String parseAll(InputStream in) throws Exception {
        LineInput li = new LineInput(in, 64);
        StringBuilder sb = new StringBuilder();
        int[] continuations = {0};
        for (int i = 0; i < COMMANDS.length; i++) {
            try (RawCommand raw = reader().read(li, () -> continuations[0]++)) {
                CommandParser.Tagged t = CommandParser.parse(raw, new CommandParser.Options(false, 8, 100));
                sb.append(t.tag()).append(' ').append(describe(t.command())).append('\n');
                for (RawCommand.Segment seg : raw.segments()) {
                    if (seg instanceof Literal l) sb.append(new String(l.open().readAllBytes(), StandardCharsets.ISO_8859_1)).append('\n');
                }
            }
        }
        sb.append("continuations=").append(continuations[0]);
        return sb.toString();
    }

    /** A record's text with arrays and literals shown by content, so two parses compare equal. */
    private static String describe(Object o) {
        String s = o.toString();
        return s.replaceAll("\\[I@[0-9a-f]+", "int[]").replaceAll("\\[B@[0-9a-f]+", "byte[]");
    }

    @Test void everyCommandParsesTheSameWhateverTheSplit() throws Exception {
        byte[] all = String.join("", COMMANDS).getBytes(StandardCharsets.UTF_8);
        String expected = parseAll(new ByteArrayInputStream(all));
        assertThat(expected).contains("continuations=4");
        for (int cut = 1; cut < all.length; cut++) {
            assertThat(parseAll(split(all, cut, all.length))).as("split at %d", cut).isEqualTo(expected);
        }
        assertThat(parseAll(split(all, 1, 1))).as("one octet per read").isEqualTo(expected);
    }

    @Test void parsedValuesAreRight() throws Exception {
        var login = (ImapCommand.Login) parse("a LOGIN {5}\r\nalice \"p\\\"w\"\r\n");
        assertThat(login.user()).isEqualTo("alice");
        assertThat(login.password()).isEqualTo("p\"w");
        var fetch = (ImapCommand.Fetch) parse("a UID FETCH 1:* (BODY.PEEK[1.2.MIME]<5.10>)\r\n");
        var body = (FetchItem.Body) fetch.items().get(0);
        assertThat(body.section().part()).containsExactly(1, 2);
        assertThat(body.section().kind()).isEqualTo(Section.Kind.MIME);
        assertThat(body.offset()).isEqualTo(5);
        assertThat(body.length()).isEqualTo(10);
        assertThat(fetch.set().contains(99, 100)).isTrue();
        var create = (ImapCommand.Create) parse("a CREATE \"&ZeVnLIqe-\"\r\n");
        assertThat(create.mailbox()).isEqualTo("日本語");
        var select = (ImapCommand.Select) parse("a SELECT inbox\r\n");
        assertThat(select.mailbox()).isEqualTo("INBOX");
        var append = (ImapCommand.Append) parse("a APPEND x {2+}\r\nab (\\Seen) {1+}\r\nc\r\n");
        assertThat(append.messages()).hasSize(2);
        assertThat(append.messages().get(1).flags()).containsExactly("\\Seen");
    }

    private ImapCommand parse(String text) throws Exception {
        LineInput li = new LineInput(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), 64);
        try (RawCommand raw = reader().read(li, () -> { })) {
            return CommandParser.parse(raw, new CommandParser.Options(false, 8, 100)).command();
        }
    }

    @Test void badSyntaxIsRefused() {
        List<String> bad = new ArrayList<>(List.of(
                "a FETCH 0 FLAGS\r\n", "a FETCH 1:4294967296 FLAGS\r\n", "a FETCH 1,,2 FLAGS\r\n", "a FETCH -1 FLAGS\r\n",
                "a SEARCH ((((((((((ALL))))))))))\r\n", "a SEARCH (ALL\r\n", "a SEARCH ALL)\r\n", "a LOGIN \"unterminated\r\n",
                "a LOGIN \"bad\\escape\" x\r\n", "a FOO\r\n", "a SELECT\r\n", "a CREATE &AGE-\r\n", "a CREATE \"x\u0001y\"\r\n",
                "a APPEND INBOX \"31-Feb-2024 10:00:00 +0000\" {1+}\r\nx\r\n", "a FETCH 1 BODY[9999999]\r\n",
                "a UID FETCH 1 FLAGS (VANISHED)\r\n", "* NOOP\r\n", "a FETCH " + "1,".repeat(150) + "1 FLAGS\r\n"));
        for (String b : bad) {
            assertThatThrownBy(() -> parse(b)).as(b).isInstanceOf(ParseException.class);
        }
    }

    /** Found by CommandFuzzTest: a CR inside a quoted string came back in the BAD text, breaking the response line. */
    @Test void badTextNeverCarriesTheCrLfOrNulOfTheCommand() {
        for (String b : List.of("a APPEND Drafts \"05-Mar\r2024 10:00:00 +0100\" {1+}\r\nx\r\n",
                "a CREATE {4}\r\n&\r\n-\r\n", "a SEARCH SINCE \"1-J\ran-2024\"\r\n")) {
            assertThatThrownBy(() -> parse(b)).as(b).isInstanceOf(ParseException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\r", "\n", "\0"));
        }
    }

    @Test void nestingLimitAtLimitAndOver() throws Exception {
        // the limit is 8: 8 levels parse, 9 do not
        parse("a SEARCH " + "(".repeat(8) + "ALL" + ")".repeat(8) + "\r\n");
        assertThatThrownBy(() -> parse("a SEARCH " + "(".repeat(9) + "ALL" + ")".repeat(9) + "\r\n"))
                .isInstanceOf(ParseException.class).hasMessageContaining("too deep");
    }

    @Test void sequenceRangeLimitAtLimitAndOver() throws Exception {
        parse("a FETCH " + "1,".repeat(99) + "1 FLAGS\r\n");
        assertThatThrownBy(() -> parse("a FETCH " + "1,".repeat(100) + "1 FLAGS\r\n"))
                .isInstanceOf(ParseException.class).hasMessageContaining("too many ranges");
    }

    @Test void readerRefusesOversizedInputBeforeReadingIt() {
        CommandReader r = new CommandReader(new CommandReader.Limits(1024, 100, 2, 4, spool));
        // APPEND literal at the limit is fine, one over is NO [TOOBIG] before any continuation
        assertThatThrownBy(() -> r.read(in("a APPEND INBOX {101}\r\n"), () -> { throw new AssertionError("no continuation"); }))
                .isInstanceOfSatisfying(CommandReader.RefusedException.class, e -> {
                    assertThat(e.code()).isEqualTo("TOOBIG");
                    assertThat(e.no()).isTrue();
                    assertThat(e.fatal()).isFalse();
                    assertThat(e.tag()).isEqualTo("a");
                });
        assertThatThrownBy(() -> r.read(in("a APPEND INBOX {99999999999999999999999}\r\n"), () -> { }))
                .isInstanceOf(CommandReader.RefusedException.class);
        // a refused non-synchronizing literal is fatal: its octets are already on the way
        assertThatThrownBy(() -> r.read(in("a APPEND INBOX {101+}\r\n"), () -> { }))
                .isInstanceOfSatisfying(CommandReader.RefusedException.class, e -> assertThat(e.fatal()).isTrue());
        // literals per command: 2 allowed, the third refused
        assertThatThrownBy(() -> r.read(in("a LOGIN {1+}\r\na {1+}\r\nb {1+}\r\nc\r\n"), () -> { }))
                .isInstanceOfSatisfying(CommandReader.RefusedException.class, e -> assertThat(e.code()).isEqualTo("LIMIT"));
        // line length: 1024 fits, 1025 does not
        assertThat(catchRead(r, "a NOOP " + "x".repeat(1024 - 7) + "\r\n")).isNull();
        assertThat(catchRead(r, "a NOOP " + "x".repeat(1025 - 7) + "\r\n").code()).isEqualTo("TOOBIG");
        assertThat(catchRead(r, "a NOOP \u0000\r\n").code()).isEqualTo("CLIENTBUG");
    }

    private static CommandReader.RefusedException catchRead(CommandReader r, String text) {
        try {
            r.read(in(text), () -> { }).close();
            return null;
        } catch (CommandReader.RefusedException e) {
            return e;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static LineInput in(String s) {
        return new LineInput(new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1)), 64);
    }

    @Test void largeAppendLiteralsAreSpooledToFiles() throws Exception {
        CommandReader r = new CommandReader(new CommandReader.Limits(1024, 1 << 20, 2, 100, spool));
        String body = "x".repeat(5000);
        try (RawCommand raw = r.read(in("a APPEND INBOX {5000+}\r\n" + body + "\r\n"), () -> { })) {
            Literal l = (Literal) raw.segments().get(1);
            assertThat(l.file()).isNotNull();
            assertThat(l.bytes()).isNull();
            assertThat(new String(l.open().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(body);
            raw.close();
            assertThat(l.file()).doesNotExist();
        }
    }
}
