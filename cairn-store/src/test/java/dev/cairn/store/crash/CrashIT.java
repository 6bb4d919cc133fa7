// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.rocks.RocksSlotStore;
import dev.cairn.testkit.Seeds;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writing process with SIGKILL at random moments, many times, and after each restart
 * checks that every append the store acknowledged is there, byte for byte, that no UID is handed
 * out twice, and that check() finds nothing wrong. Rounds: -Dcairn.crash.rounds (default 20). The
 * seed of the kill times is printed; -Dcairn.seed=N reruns it.
 */
class CrashIT {
    @TempDir Path dir;

    record Ack(String user, String mailbox, long uid, String sha) {}

    @Test void acknowledgedAppendsSurviveKill9() throws Exception {
        int rounds = Integer.getInteger("cairn.crash.rounds", 20);
        Random random = Seeds.random("CrashIT");
        Map<String, Long> highestUid = new HashMap<>(); // user/mailbox -> highest UID acknowledged so far
        List<Ack> all = new ArrayList<>();
        int verified = 0;
        for (int round = 0; round < rounds; round++) {
            List<Ack> acks = runAndKill(round, random);
            // UIDs of this round's appends are above everything acknowledged before the crash.
            for (Ack a : acks) {
                String key = a.user() + "/" + a.mailbox();
                assertThat(a.uid()).as("round %d %s UID not reused", round, key).isGreaterThan(highestUid.getOrDefault(key, 0L));
            }
            for (Ack a : acks) highestUid.merge(a.user() + "/" + a.mailbox(), a.uid(), Math::max);
            all.addAll(acks);
            try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true))) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                for (Ack a : acks) {
                    UserStore u = slot.user(a.user());
                    MailboxInfo box = u.mailbox(a.mailbox()).orElseThrow();
                    MessageRecord m = u.message(box.id(), Uid.of(a.uid())).orElseThrow(
                            () -> new AssertionError("acknowledged append lost: " + a));
                    assertThat(m.body().hex()).isEqualTo(a.sha());
                    try (var in = u.openBody(m.body())) {
                        assertThat(HexFormat.of().formatHex(sha.digest(in.readAllBytes()))).isEqualTo(a.sha());
                    }
                    verified++;
                }
                for (var e : highestUid.entrySet()) {
                    String[] k = e.getKey().split("/");
                    assertThat(slot.user(k[0]).mailbox(k[1]).orElseThrow().uidNext()).isGreaterThan(e.getValue());
                }
                var report = slot.check(null, false);
                assertThat(report.problems()).as("check after round %d", round).isEmpty();
            }
        }
        System.out.printf("crash test: %d rounds, %d acknowledged appends verified%n", rounds, verified);
        assertThat(all).isNotEmpty();
    }

    private List<Ack> runAndKill(int round, Random random) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-Xshare:auto", "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(),
                dir.toString(), Long.toString(round));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        List<Ack> acks = new ArrayList<>();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.equals("READY")) ready.countDown();
                    String[] f = line.split(" ");
                    // A line cut by the kill has no END: the append may or may not be durable; not counted.
                    if (f.length == 6 && f[0].equals("ACK") && f[5].equals("END")) {
                        synchronized (acks) { acks.add(new Ack(f[1], f[2], Long.parseLong(f[3]), f[4])); }
                    }
                }
            } catch (Exception e) {
                // the process died
            }
        });
        assertThat(ready.await(60, TimeUnit.SECONDS)).as("writer started").isTrue();
        Thread.sleep(50 + random.nextInt(1200));
        p.destroyForcibly(); // SIGKILL on Linux
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(10_000);
        synchronized (acks) { return new ArrayList<>(acks); }
    }
}
