// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Writes that go on against cluster nodes while a test breaks something: each writer a virtual
 * thread sending one write after another (an LMTP delivery, an IMAP APPEND), each answer kept with
 * the moments it was started and answered ({@link System#nanoTime}), so a test can say what a node
 * acknowledged after a given moment. A write whose connection ends gets the answer "closed: ...".
 */
final class WriteLoad implements AutoCloseable {
    /** One write: its answer (the reply to DATA, the tagged APPEND line) or "closed: why". */
    @FunctionalInterface
    interface Write {
        String send(String subject) throws IOException;
    }

    /** One answered write. */
    record Answer(String writer, String node, String subject, long started, long answered, String answer) {
        /** A 250 to DATA or a tagged OK to APPEND: the node says the message is stored. */
        boolean acknowledged() { return answer.startsWith("250") || answer.matches("^\\S+ OK.*"); }

        /** A temporary failure (LMTP 4xx, IMAP NO [UNAVAILABLE]) or a connection that ended: the client retries. */
        boolean refusedOrCut() { return answer.startsWith("4") || answer.contains("NO [UNAVAILABLE]") || answer.startsWith("closed"); }

        @Override public String toString() { return writer + "@" + node + " " + subject + " -> " + answer; }
    }

    private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger sent = new AtomicInteger();
    private volatile boolean stopped, interrupted;

    /**
     * Starts a writer that sends {@code write} to {@code node} one after another ({@code pauseMillis}
     * between them) until {@link #close}, or until {@code last} says an answer was its last (an IMAP
     * session that ended).
     */
    void start(String writer, String node, Write write, long pauseMillis, Predicate<String> last) {
        threads.add(Thread.ofVirtual().name("load-" + writer).start(() -> {
            for (int i = 0; !stopped; i++) {
                String subject = writer + "-" + i;
                long started = System.nanoTime();
                String answer;
                try {
                    answer = write.send(subject);
                } catch (IOException e) {
                    if (interrupted) return; // by close: no answer of the node's
                    answer = "closed: " + e.getMessage();
                }
                sent.incrementAndGet();
                answers.add(new Answer(writer, node, subject, started, System.nanoTime(), answer));
                if (last.test(answer)) return;
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }));
    }

    /** LMTP deliveries to {@code user} on {@code node}, a connection each. */
    void deliveries(NodeProcesses p, String writer, String node, String user, long pauseMillis) {
        start(writer, node, subject -> p.deliver(node, user, subject), pauseMillis, answer -> false);
    }

    /** The answers so far, in the order they came. */
    List<Answer> answers() { return List.copyOf(answers); }

    /** The answers so far that {@code node} gave. */
    List<Answer> from(String node) { return answers().stream().filter(a -> a.node().equals(node)).toList(); }

    /** The subjects acknowledged by anyone so far. */
    List<String> acknowledged() { return answers().stream().filter(Answer::acknowledged).map(Answer::subject).toList(); }

    int sent() { return sent.get(); }

    /** Stops every writer after its write in flight (waits up to 30 s for it; then it is interrupted and its answer not kept). */
    @Override public void close() throws InterruptedException {
        stopped = true;
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                interrupted = true;
                t.interrupt();
                t.join();
            }
        }
    }
}
