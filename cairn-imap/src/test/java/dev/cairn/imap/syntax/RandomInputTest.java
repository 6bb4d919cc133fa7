// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import dev.cairn.protocol.LineInput;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands stitched from IMAP tokens and random octets: the reader and parser may only refuse them
 * (RefusedException, ParseException) or run out of input, never fail in another way.
 */
class RandomInputTest {
    @TempDir Path spool;

    private static final String[] TOKENS = {
            "a", "UID", "FETCH", "STORE", "SEARCH", "APPEND", "SELECT", "LIST", "LOGIN", "SORT", "THREAD", "ID", "CREATE",
            " ", " ", " ", "(", ")", "((", "))", "[", "]", "<", ">", ".", "\"", "\\", "{", "}", "{3}", "{2+}", "~{1}",
            "{99999999999}", "1", "0", "*", "$", ":", ",", "1:*", "BODY[", "BODY.PEEK[1.2.HEADER.FIELDS", "BINARY[",
            "FLAGS", "+FLAGS", "\\Seen", "NOT", "OR", "HEADER", "CHARSET", "UTF-8", "RETURN", "&", "&-", "&AGE-",
            "INBOX", "NIL", "\u00e9", "\u0001", "%", "CHANGEDSINCE", "QRESYNC", "UNCHANGEDSINCE", "1-Jan-2024",
            "\"01-Jan-2024 00:00:00 +0000\"", "\r\n"};

    @Test void randomCommandsAreRefusedCleanly() throws Exception {
        Random random = new Random(42);
        CommandReader reader = new CommandReader(new CommandReader.Limits(512, 4096, 4, 64, spool));
        for (int round = 0; round < 20_000; round++) {
            StringBuilder sb = new StringBuilder("t");
            int n = 1 + random.nextInt(25);
            for (int i = 0; i < n; i++) {
                if (random.nextInt(10) == 0) sb.append((char) random.nextInt(256));
                else sb.append(TOKENS[random.nextInt(TOKENS.length)]);
            }
            sb.append("\r\n");
            LineInput in = new LineInput(new ByteArrayInputStream(sb.toString().getBytes(StandardCharsets.ISO_8859_1)), 64);
            try {
                while (in.buffered() >= 0) {
                    try (RawCommand raw = reader.read(in, () -> { })) {
                        CommandParser.parse(raw, new CommandParser.Options(random.nextBoolean(), 8, 50));
                    } catch (ParseException | CommandReader.RefusedException expected) {
                        // a BAD or NO for the client
                    }
                }
            } catch (EOFException endOfInput) {
                // the stitched input ended inside a command
            }
        }
    }
}
