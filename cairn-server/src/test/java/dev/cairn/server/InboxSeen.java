// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a QRESYNC client saw of alice's INBOX on one node: UIDVALIDITY, HIGHESTMODSEQ, UID ->
 * subject, and the UIDs a QRESYNC SELECT reported VANISHED. Shared by the failover tests that
 * check issue 19's invariant: no client ever sees one UID under one UIDVALIDITY name two messages.
 */
record InboxSeen(long uidValidity, long highestModSeq, Map<Long, String> subjects, String vanished) {
    private static final Pattern UIDVALIDITY = Pattern.compile("\\[UIDVALIDITY (\\d+)]");
    private static final Pattern HIGHESTMODSEQ = Pattern.compile("\\[HIGHESTMODSEQ (\\d+)]");
    private static final Pattern FETCH = Pattern.compile("^\\* \\d+ FETCH \\(.*UID (\\d+)");

    private static long find(Pattern p, List<String> lines) {
        for (String l : lines) {
            Matcher m = p.matcher(l);
            if (m.find()) return Long.parseLong(m.group(1));
        }
        return -1;
    }

    /** SELECT INBOX (QRESYNC (...)) when {@code before} is given, else a plain SELECT; then every UID with its subject. */
    static InboxSeen select(NodeProcesses p, String node, InboxSeen before) throws Exception {
        try (NodeProcesses.Imap imap = p.imap(node, "alice")) {
            assertThat(imap.command("ENABLE QRESYNC").getLast()).contains("OK");
            List<String> selected = imap.command(before == null ? "SELECT INBOX"
                    : "SELECT INBOX (QRESYNC (" + before.uidValidity() + " " + before.highestModSeq() + "))");
            assertThat(selected.getLast()).contains("OK");
            long uidValidity = find(UIDVALIDITY, selected);
            if (before != null && uidValidity != before.uidValidity()) {
                // RFC 7162 §3.2.5: another UIDVALIDITY means no VANISHED and no changes reported against the old state.
                assertThat(selected).noneMatch(l -> l.startsWith("* VANISHED"));
            }
            String vanished = selected.stream().filter(l -> l.startsWith("* VANISHED (EARLIER) ")).map(l -> l.substring(21))
                    .findFirst().orElse("");
            Map<Long, String> subjects = new HashMap<>();
            long uid = -1;
            for (String l : imap.command("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
                Matcher m = FETCH.matcher(l);
                if (m.find()) uid = Long.parseLong(m.group(1));
                if (l.startsWith("Subject: ")) subjects.put(uid, l.substring(9).strip());
            }
            return new InboxSeen(uidValidity, find(HIGHESTMODSEQ, selected), subjects, vanished);
        }
    }

    /** A client never sees one UID under one UIDVALIDITY name two messages: checked across everything it saw. */
    static void sameUidSameMessage(List<InboxSeen> seen) {
        Map<String, String> byValidityAndUid = new HashMap<>();
        for (InboxSeen k : seen) {
            k.subjects().forEach((uid, subject) -> {
                String before = byValidityAndUid.putIfAbsent(k.uidValidity() + "/" + uid, subject);
                if (before != null) assertThat(subject).as("UID " + uid + " under UIDVALIDITY " + k.uidValidity()).isEqualTo(before);
            });
        }
    }
}
