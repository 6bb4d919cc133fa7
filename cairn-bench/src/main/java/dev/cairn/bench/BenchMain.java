// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import picocli.CommandLine;

/** Runs {@code cairn bench} on its own: {@code java -cp ... dev.cairn.bench.BenchMain imap --port 10143}. */
public final class BenchMain {

    private BenchMain() {}

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }
}
