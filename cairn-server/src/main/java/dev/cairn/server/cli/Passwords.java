// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.PasswordHasher;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Reading a new password: one line of standard input, or twice at the terminal without echo. */
final class Passwords {
    private Passwords() {}

    static char[] read(InputStream in, boolean fromStdin) throws IOException {
        if (fromStdin) {
            return firstLine(in);
        }
        Console console = System.console();
        if (console == null) {
            throw new IllegalArgumentException("no terminal to ask for the password: give it on standard input with --password-stdin");
        }
        char[] first = console.readPassword("New password: ");
        char[] second = console.readPassword("Again: ");
        if (first == null || second == null || !Arrays.equals(first, second)) {
            wipe(first);
            wipe(second);
            throw new IllegalArgumentException("the passwords differ");
        }
        wipe(second);
        return first;
    }

    /** The first line without its end (LF or CRLF); never more than the longest allowed password. */
    private static char[] firstLine(InputStream in) throws IOException {
        Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
        char[] buffer = new char[PasswordHasher.MAX_PASSWORD_LENGTH + 2];
        int n = 0;
        int c;
        while ((c = reader.read()) != -1 && c != '\n') {
            if (n == buffer.length) {
                wipe(buffer);
                throw new IllegalArgumentException("the password must be at most " + PasswordHasher.MAX_PASSWORD_LENGTH + " characters");
            }
            buffer[n++] = (char) c;
        }
        if (n > 0 && buffer[n - 1] == '\r') {
            n--;
        }
        char[] password = Arrays.copyOf(buffer, n);
        wipe(buffer);
        if (password.length == 0) {
            throw new IllegalArgumentException("no password on standard input");
        }
        return password;
    }

    static void wipe(char[] password) {
        if (password != null) {
            Arrays.fill(password, '\0');
        }
    }
}
