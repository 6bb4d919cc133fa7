// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The running JDK's keytool, which makes Cairn's keys and certificates (the JDK has no public API
 * to build an X.509 certificate). Keystore passwords go through the child's environment
 * ({@code -storepass:env}), never its command line, which other users of the machine can read.
 */
final class Keytool {
    private static final String PASSWORD_VARIABLE = "CAIRN_KEYTOOL_PASSWORD";

    private Keytool() {}

    /** A fresh random keystore password (for keystores that live only while keytool works on them, or beside a 0600 file). */
    static String password() {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /**
     * Runs {@code keytool args...} with {@code -storepass} and {@code -keypass} (for the commands that
     * take one) set to {@code password}; fails with keytool's own output when it fails.
     */
    static void run(String password, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        // A one-shot JVM: start it light (half the time of the defaults on a busy machine).
        command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
        command.addAll(args);
        command.addAll(List.of("-storepass:env", PASSWORD_VARIABLE));
        if (args.contains("-genkeypair")) command.addAll(List.of("-keypass:env", PASSWORD_VARIABLE));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put(PASSWORD_VARIABLE, password);
        Process process = builder.start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("keytool " + args.getFirst() + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        }
    }
}
