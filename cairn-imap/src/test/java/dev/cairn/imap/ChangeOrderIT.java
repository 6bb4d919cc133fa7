// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.Seeds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes reach every session in commit order (RFC 7162 §3.1: a message's MODSEQ only grows;
 * RFC 9051 §7.5.2: a client applies untagged FETCHes in the order it gets them, so an older state
 * after a newer one leaves it with stale flags), whatever the session asks meanwhile.
 */
class ChangeOrderIT {
    @TempDir Path dir;

    private static final Pattern FETCH = Pattern.compile("\\* (\\d+) FETCH \\((.*)\\)");
    private static final Pattern MODSEQ = Pattern.compile("MODSEQ \\((\\d+)\\)");
    private static final Pattern FLAGS_ITEM = Pattern.compile("FLAGS \\(([^)]*)\\)");
    private static final Pattern FLAGS_RESPONSE = Pattern.compile("\\* FLAGS \\(([^)]*)\\)");

    /** What a client believes of each message (MSN = UID here: nothing is expunged), checked as it learns. */
    static final class Model {
        final String name;
        final ConcurrentLinkedQueue<String> violations;
        final Map<Integer, Long> modSeq = new HashMap<>();
        final Map<Integer, Set<String>> flags = new HashMap<>();
        final Set<String> announced = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

        Model(String name, ConcurrentLinkedQueue<String> violations) { this.name = name; this.violations = violations; }

        void learn(List<String> lines) {
            for (String line : lines) learn(line);
        }

        void learn(String line) {
            Matcher m = FLAGS_RESPONSE.matcher(line);
            if (m.matches()) {
                announced.clear();
                announced.addAll(split(m.group(1)));
                return;
            }
            m = FETCH.matcher(line);
            if (!m.matches()) return;
            int msn = Integer.parseInt(m.group(1));
            Matcher ms = MODSEQ.matcher(m.group(2)), fl = FLAGS_ITEM.matcher(m.group(2));
            Set<String> f = fl.find() ? withoutRecent(split(fl.group(1))) : null;
            if (f != null) {
                for (String k : f) {
                    if (!k.startsWith("\\") && !announced.contains(k)) violations.add(name + ": keyword " + k + " used before FLAGS named it: " + line);
                }
            }
            if (ms.find()) {
                long seq = Long.parseLong(ms.group(1));
                Long before = modSeq.get(msn);
                if (before != null && seq < before) violations.add(name + ": MODSEQ of " + msn + " went down from " + before + ": " + line);
                if (before != null && seq == before && f != null && flags.get(msn) != null && !f.equals(flags.get(msn))) {
                    violations.add(name + ": MODSEQ " + seq + " of " + msn + " with flags " + flags.get(msn) + " and now " + line);
                }
                if (before == null || seq >= before) modSeq.put(msn, seq);
            }
            if (f != null) flags.put(msn, f);
        }

        static Set<String> split(String list) {
            Set<String> s = new TreeSet<>();
            for (String x : list.split(" ")) if (!x.isBlank()) s.add(x.toLowerCase(Locale.ROOT));
            return s;
        }

        static Set<String> withoutRecent(Set<String> f) {
            f.remove("\\recent");
            return f;
        }
    }

    /**
     * Four sessions. B and C change message 2 one after the other; then A sends a STORE that
     * changes nothing on it and D a FETCH of it. Both answers show message 2 as it is now, and both
     * sessions still have B's and C's changes to be told: the older one must not come after the newer.
     */
    @Test @Timeout(60)
    void aSessionToldOfAMessageAfterTwoChangesIsToldThemInCommitOrder() throws Exception {
        try (TestImapServer server = new TestImapServer(dir);
             TestClient a = new TestClient("a", server.port(), "order1");
             TestClient b = new TestClient("b", server.port(), "order1");
             TestClient c = new TestClient("c", server.port(), "order1");
             TestClient d = new TestClient("d", server.port(), "order1")) {
            a.append("INBOX", "", "one");
            a.append("INBOX", "", "two");
            for (TestClient s : List.of(a, b, c, d)) assertThat(TestClient.last(s.command("SELECT INBOX (CONDSTORE)"))).contains("OK");
            assertThat(TestClient.last(b.command("STORE 2 +FLAGS.SILENT (\\Seen $Label2)"))).contains("OK");
            assertThat(TestClient.last(c.command("STORE 2 FLAGS.SILENT ()"))).contains("OK");
            ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
            List<String> toA = a.command("STORE 2 -FLAGS (\\Flagged)");
            List<String> toD = d.command("FETCH 2 (FLAGS)");
            for (var told : Map.of(a, toA, d, toD).entrySet()) {
                Model model = new Model(told.getKey().name, violations);
                model.announced.addAll(List.of("$Label2"));
                model.learn(told.getValue());
                List<Long> seqs = new ArrayList<>();
                for (String line : told.getValue()) {
                    Matcher m = MODSEQ.matcher(line);
                    if (line.startsWith("* 2 FETCH") && m.find()) seqs.add(Long.parseLong(m.group(1)));
                }
                assertThat(seqs).as(told.getKey().transcript()).hasSizeGreaterThanOrEqualTo(2).isSorted();
                assertThat(model.flags.get(2)).as(told.getKey().transcript()).isEmpty();
            }
            assertThat(violations).isEmpty();
        }
    }

    /**
     * Four CONDSTORE sessions of one user STORE at random on three messages (adding, removing,
     * replacing flags and keywords, .SILENT or not, UNCHANGEDSINCE or not) and FETCH and NOOP in
     * between. Each session checks everything it is told: a message's MODSEQ never goes down, one
     * MODSEQ never comes with two different flag sets, and no keyword is used before FLAGS named it
     * (RFC 9051 §7.3.5). At the end every session that was told a message's latest MODSEQ
     * believes its true flags.
     */
    @Test @Timeout(300)
    void fourSessionsStoringAtRandomAreEachToldEveryMessageOnlyMovingForward() throws Exception {
        long seed = Seeds.seed("ChangeOrderIT");
        int rounds = Integer.getInteger("cairn.test.rounds", 250);
        String[] pool = {"\\Seen", "\\Flagged", "\\Answered", "$Label1", "$Label2", "$Label3"};
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        try (TestImapServer server = new TestImapServer(dir)) {
            List<TestClient> clients = new ArrayList<>();
            List<Model> models = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    clients.add(new TestClient("s" + i, server.port(), "order2"));
                    models.add(new Model("s" + i + " (seed " + seed + ")", violations));
                }
                for (int i = 1; i <= 3; i++) clients.get(0).append("INBOX", "", "m" + i);
                for (int i = 0; i < 4; i++) models.get(i).learn(clients.get(i).command("SELECT INBOX (CONDSTORE)"));
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    TestClient client = clients.get(i);
                    Model model = models.get(i);
                    Random random = new Random(seed + i);
                    threads.add(Thread.ofVirtual().start(() -> {
                        try {
                            for (int round = 0; round < rounds; round++) {
                                int pick = random.nextInt(10);
                                String command;
                                if (pick < 6) {
                                    StringBuilder set = new StringBuilder();
                                    for (int msn = 1; msn <= 3; msn++) if (random.nextBoolean() || (msn == 3 && set.isEmpty())) set.append(set.isEmpty() ? "" : ",").append(msn);
                                    List<String> flags = new ArrayList<>();
                                    for (String f : pool) if (random.nextInt(3) == 0) flags.add(f);
                                    String op = new String[] {"+FLAGS", "-FLAGS", "FLAGS"}[random.nextInt(3)] + (random.nextInt(3) == 0 ? ".SILENT" : "");
                                    long since = model.modSeq.values().stream().mapToLong(Long::longValue).max().orElse(1);
                                    String unchanged = random.nextInt(4) == 0 ? " (UNCHANGEDSINCE " + since + ")" : "";
                                    command = "STORE " + set + unchanged + " " + op + " (" + String.join(" ", flags) + ")";
                                } else if (pick < 8) {
                                    command = "FETCH 1:3 (FLAGS)";
                                } else if (pick < 9) {
                                    command = "UID FETCH 1:* (FLAGS MODSEQ)";
                                } else {
                                    command = "NOOP";
                                }
                                List<String> lines = client.command(command);
                                if (!TestClient.last(lines).contains(" OK ")) violations.add(client.name + ": " + command + " -> " + TestClient.last(lines));
                                model.learn(lines);
                            }
                        } catch (IOException | RuntimeException e) {
                            violations.add(client.name + ": " + e);
                        }
                    }));
                }
                for (Thread t : threads) t.join();
                // caught up, each session's belief must be the truth: where it was told the latest
                // MODSEQ (its own .SILENT STORE is the one change it is not told of)
                for (int i = 0; i < 4; i++) models.get(i).learn(clients.get(i).command("NOOP"));
                Model truth = new Model("truth", new ConcurrentLinkedQueue<>());
                truth.learn(clients.get(0).command("FETCH 1:3 (FLAGS MODSEQ)"));
                for (int i = 0; i < 4; i++) {
                    for (int msn = 1; msn <= 3; msn++) {
                        if (truth.modSeq.get(msn).equals(models.get(i).modSeq.get(msn))
                                && !truth.flags.get(msn).equals(models.get(i).flags.get(msn))) {
                            violations.add(models.get(i).name + ": believes " + msn + " has " + models.get(i).flags.get(msn) + ", it has " + truth.flags.get(msn));
                        }
                    }
                }
            } finally {
                for (TestClient c : clients) c.close();
            }
        }
        assertThat(violations).as("seed " + seed + ", " + violations.size() + " violations").isEmpty();
    }
}
