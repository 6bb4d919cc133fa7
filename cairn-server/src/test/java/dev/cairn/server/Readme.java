// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The code blocks of the repository's README.md, for tests that run them as written: when the
 * README changes, the tests run what it says now.
 */
record Readme(String text) {
    /** A fenced code block: its info string ("sh", "conf") and its lines. */
    record Block(String language, List<String> lines) {
        String body() {
            return String.join("\n", lines) + "\n";
        }
    }

    static Readme read() throws IOException {
        return new Readme(Files.readString(LauncherIT.repositoryRoot().resolve("README.md")));
    }

    static Path root() {
        return LauncherIT.repositoryRoot();
    }

    /** The part of the README from the heading that starts with {@code heading} to the next heading of its level or above. */
    String section(String heading) {
        int level = heading.indexOf(' ');
        StringBuilder section = null;
        boolean fenced = false;
        for (String line : text.split("\n", -1)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            }
            // A heading: #, ##, ... and a space; a "# comment" inside a code block is none.
            int hashes = 0;
            while (!fenced && hashes < line.length() && line.charAt(hashes) == '#') {
                hashes++;
            }
            boolean isHeading = hashes > 0 && hashes < line.length() && line.charAt(hashes) == ' ';
            if (section == null && !fenced && line.startsWith(heading)) {
                section = new StringBuilder();
            } else if (section != null && isHeading && hashes <= level) {
                break;
            }
            if (section != null) {
                section.append(line).append('\n');
            }
        }
        if (section == null) {
            throw new AssertionError("README.md has no heading '" + heading + "'");
        }
        return section.toString();
    }

    /** The fenced code blocks of a part of the README, in order. */
    static List<Block> blocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        String language = null;
        List<String> lines = null;
        for (String line : markdown.split("\n", -1)) {
            if (lines == null && line.startsWith("```")) {
                language = line.substring(3).strip();
                lines = new ArrayList<>();
            } else if (lines != null && line.equals("```")) {
                blocks.add(new Block(language, List.copyOf(lines)));
                lines = null;
            } else if (lines != null) {
                lines.add(line);
            }
        }
        return blocks;
    }

    /** The one block of {@code markdown} that holds {@code marker}. */
    static Block blockWith(String markdown, String marker) {
        List<Block> found = blocks(markdown).stream().filter(b -> b.body().contains(marker)).toList();
        if (found.size() != 1) {
            throw new AssertionError("README.md: " + found.size() + " code blocks hold '" + marker + "', expected one");
        }
        return found.getFirst();
    }
}
