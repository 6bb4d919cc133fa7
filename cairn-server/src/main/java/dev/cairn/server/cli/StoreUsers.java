// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.PasswordHasher;
import dev.cairn.server.RunFile;
import dev.cairn.server.config.NodeConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * `cairn user ...` on a node that serves a replicated store: the accounts are part of the store
 * (replicated with the mail), so the command asks the running node ({@code /accounts/...} of
 * its admin endpoint), which changes them on the store's master. Run against a replica, a change
 * is refused with one line that names the master; reads answer on either. When the node does not
 * run, the command works on the node's own directory as on a single node (see {@link #replicated}). A password is checked
 * against the policy and hashed here: only its hash goes to the node.
 */
final class StoreUsers {
    private StoreUsers() {}

    /**
     * Whether the command goes through the node: its config has [replication] and the node runs.
     * When it does not run, the command changes the node's own directory as on a single node (with
     * a note on standard error), which answers for users the store has no account of.
     */
    static boolean replicated(CommandSpec spec, NodeConfig config) {
        // A cluster's directory is PostgreSQL, the source of truth: `cairn user` writes it directly.
        if (config.replication() == null || dev.cairn.server.Directories.shared(config)) return false;
        if (RunFile.read(config.runFile()).filter(RunFile::processAlive).isPresent()) return true;
        spec.commandLine().getErr().println("cairn: note: the node does not run: this changes its own directory, not the replicated "
                + "store's accounts (start the node and run it again to change those)");
        return false;
    }

    /** The password's hash, after the config's password policy accepted it; null for none. */
    static String hash(NodeConfig config, char[] password) {
        if (password == null) return null;
        config.directory().passwordPolicy().check(password);
        return new PasswordHasher().hash(password);
    }

    /** Query parameters in order; null values are left out. */
    static Map<String, String> form(String... keysAndValues) {
        Map<String, String> form = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) if (keysAndValues[i + 1] != null) form.put(keysAndValues[i], keysAndValues[i + 1]);
        return form;
    }

    /** Calls the node and prints its answer; 0. */
    static int call(CommandSpec spec, NodeConfig config, String method, String path, Map<String, String> form) throws Exception {
        StringBuilder body = new StringBuilder();
        for (Map.Entry<String, String> e : form.entrySet()) {
            if (!body.isEmpty()) body.append('&');
            body.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        // In the query: the admin endpoint takes no request bodies, and logs paths without their queries.
        AdminClient.Answer a = AdminClient.call(config, method, body.isEmpty() ? path : path + "?" + body);
        spec.commandLine().getOut().print(a.body());
        spec.commandLine().getOut().flush();
        return a.ok() ? 0 : CliErrors.FAILED;
    }
}
