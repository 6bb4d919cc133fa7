// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/** `cairn version`. */
@Command(name = "version", header = "Print Cairn's version and the Java it runs on.")
public final class VersionCommand implements Runnable {
    @CommandLine.Spec
    CommandSpec spec;

    public static String version() {
        String v = VersionCommand.class.getPackage().getImplementationVersion();
        return "cairn " + (v == null ? "(development build)" : v) + " (Java " + Runtime.version() + ")";
    }

    @Override
    public void run() {
        spec.commandLine().getOut().println(version());
    }

    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {version()};
        }
    }
}
