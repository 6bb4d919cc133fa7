// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.protocol.LineInput;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Whole IMAP commands as a client sends them, several per input, with literals (synchronizing,
 * non-synchronizing, literal8): the reader and the parser answer each with a command, a BAD/NO
 * (ParseException, RefusedException) or the end of input, never another exception, and nothing
 * they keep is larger than the limits allow. Each command is parsed in both name modes (modified
 * UTF-7 and UTF-8, RFC 6855).
 */
class CommandFuzzTest {
    private static final int MAX_LINE = 1024, MAX_LITERAL = 2048, MAX_LITERALS = 8, MAX_NESTING = 16, MAX_RANGES = 64;
    private static final Set<String> CODES = Set.of("TOOBIG", "CLIENTBUG", "LIMIT", "CANNOT");
    private static final Path SPOOL = spoolDirectory();

    @FuzzTest
    @DictionaryFile(resourcePath = "/dev/cairn/imap/syntax/CommandFuzzTest.dict")
    void commands(byte[] data) throws IOException {
        CommandReader reader = new CommandReader(new CommandReader.Limits(MAX_LINE, MAX_LITERAL, MAX_LITERALS, MAX_LITERAL, SPOOL));
        LineInput in = new LineInput(new ByteArrayInputStream(data), 64);
        int[] continuations = {0};
        while (true) {
            RawCommand raw;
            continuations[0] = 0;
            try {
                raw = reader.read(in, () -> continuations[0]++);
            } catch (CommandReader.RefusedException e) {
                assertThat(e.code()).isIn(CODES);
                if (e.tag() != null) assertValidTag(e.tag());
                if (e.fatal()) return; // a refused non-synchronizing literal is on its way: the session ends
                continue;
            } catch (EOFException e) {
                return;
            }
            try (raw) {
                assertThat(continuations[0]).isLessThanOrEqualTo(MAX_LITERALS);
                assertBounded(raw);
                String tag = CommandParser.tagOf(raw);
                if (tag != null) assertValidTag(tag);
                parse(raw, false, tag);
                parse(raw, true, tag);
            }
        }
    }

    private static void parse(RawCommand raw, boolean utf8, String tag) {
        try {
            CommandParser.Tagged tagged = CommandParser.parse(raw, new CommandParser.Options(utf8, MAX_NESTING, MAX_RANGES));
            assertThat(tagged.tag()).isEqualTo(tag);
            assertThat(tagged.command()).isNotNull();
        } catch (ParseException e) {
            if (e.code() != null) assertThat(e.code()).isIn(CODES);
            // the text goes into the BAD line: it must not end it early or carry a NUL
            assertThat(e.getMessage()).doesNotContain("\r", "\n", "\0").hasSizeLessThanOrEqualTo(MAX_LINE + 100);
        }
    }

    /** A command holds at most a line per literal plus the literals, each within its limit. */
    private static void assertBounded(RawCommand raw) {
        int literals = 0;
        for (RawCommand.Segment s : raw.segments()) {
            switch (s) {
                case RawCommand.Text t -> assertThat(t.bytes().length).isLessThanOrEqualTo(MAX_LINE);
                case Literal l -> {
                    literals++;
                    assertThat(l.size()).isLessThanOrEqualTo(MAX_LITERAL);
                }
            }
        }
        assertThat(literals).isLessThanOrEqualTo(MAX_LITERALS);
    }

    private static void assertValidTag(String tag) {
        assertThat(tag).isNotEmpty();
        tag.chars().forEach(c -> assertThat(Syntax.isTagChar(c)).as("tag char %s", c).isTrue());
    }

    private static Path spoolDirectory() {
        try {
            Path dir = Files.createTempDirectory("cairn-fuzz-spool");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
