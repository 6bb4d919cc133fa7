// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.Frame.*;
import dev.cairn.replication.ReplicationConfig.Mode;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replica's listener against a hand-driven master: wrong secret, old epoch, garbage. */
class HandshakeIT {
    @TempDir Path dir;

    private FrameConnection connect(TwoNodes t) throws Exception {
        return new FrameConnection(new Socket("127.0.0.1", t.nodes.get("b").address().getPort()), 1 << 20);
    }

    @Test void aMasterWithTheWrongSecretIsRefused() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast()); FrameConnection c = connect(t)) {
            byte[] nonce = Handshake.nonce();
            c.send(new Hello(FrameCodec.VERSION, "mallory", "s1", 0, 0, nonce));
            Challenge ch = (Challenge) c.read();
            // The replica proved itself with the real secret ...
            assertThat(Handshake.verify(Handshake.replicaProof(TwoNodes.SECRET, nonce, ch.nonce(), "s1", 0, 0), ch.mac())).isTrue();
            // ... and refuses a master proof made with another one.
            c.send(new Auth(Handshake.masterProof("guess".getBytes(StandardCharsets.UTF_8), nonce, ch.nonce(), "s1", 0, 0)));
            Frame answer = c.read();
            assertThat(answer).isInstanceOfSatisfying(Frame.Error.class, e -> assertThat(e.code()).isEqualTo(Frame.BAD_AUTH));
        }
    }

    @Test void aMasterFromAnOlderEpochIsFenced() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            t.slot("b").replication().raiseEpoch(5);
            try (FrameConnection c = connect(t)) {
                byte[] nonce = Handshake.nonce();
                c.send(new Hello(FrameCodec.VERSION, "a", "s1", 4, 0, nonce));
                Challenge ch = (Challenge) c.read();
                assertThat(ch.epoch()).isEqualTo(5);
                c.send(new Auth(Handshake.masterProof(TwoNodes.SECRET, nonce, ch.nonce(), "s1", 0, 4)));
                assertThat(c.read()).isInstanceOfSatisfying(Frame.Error.class, e -> {
                    assertThat(e.code()).isEqualTo(Frame.STALE_EPOCH);
                    assertThat(e.epoch()).isEqualTo(5);
                });
            }
            // The real master (epoch 0) learns it too and stops taking writes.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (t.slot("a").replication().fenceReason() == null && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(t.slot("a").replication().fenceReason()).contains("epoch 5");
        }
    }

    @Test void garbageClosesTheChannelAndTheListenerKeepsServing() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            try (Socket s = new Socket("127.0.0.1", t.nodes.get("b").address().getPort())) {
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.setSoTimeout(5000);
                // "GET " as a length is over the limit: the replica answers with an error or just closes.
                byte[] rest = s.getInputStream().readAllBytes();
                assertThat(rest.length).isLessThan(200);
            }
            t.user("a", "alice").append("INBOX", java.util.List.of(ReplicationIT.message("still", "works")));
            t.awaitCaughtUp("a", "b", "alice");
        }
    }
}
