// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.verify;

import dev.cairn.server.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** A user's mailboxes on a node as `cairn replica verify` reads them (its verification login), flattened for tests. */
public final class UserSnapshot {
    private UserSnapshot() {}

    /**
     * Per selectable mailbox {@code "NAME UIDVALIDITY"} to its UIDVALIDITY, and per message
     * {@code "NAME UID"} to its flags, MODSEQ, size and SHA-256; null when the node has no such user.
     */
    public static SortedMap<String, String> read(Path config, String user) throws IOException {
        ImapView view = ReplicaVerifier.read(ReplicaVerifier.Target.of(ConfigLoader.load(config), "node"), user);
        if (view == null) return null;
        SortedMap<String, String> out = new TreeMap<>();
        for (Map.Entry<String, ImapView.Mailbox> m : view.mailboxes().entrySet()) {
            out.put(m.getKey() + " UIDVALIDITY", m.getValue().status().get("UIDVALIDITY"));
            m.getValue().messages().forEach((uid, msg) -> out.put(m.getKey() + " " + uid,
                    msg.flags() + " modseq=" + msg.modSeq() + " size=" + msg.size() + " sha256=" + msg.sha256()));
        }
        return out;
    }
}
