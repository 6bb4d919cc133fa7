// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import dev.cairn.bench.Corpus;
import dev.cairn.bench.Endpoint;
import dev.cairn.bench.Errors;
import dev.cairn.bench.LoadRun;
import dev.cairn.bench.MessagePool;
import dev.cairn.bench.Recorder;
import dev.cairn.bench.Report;
import dev.cairn.imap.client.ImapProtocolException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code cairn bench imap}: many concurrent IMAP clients, each logging in as a random user of
 * the pattern, selecting INBOX and running the weighted mix, every response checked. First
 * every user's INBOX is filled to a few dozen messages (a fresh mailbox skews the mix).
 */
public final class ImapBench {

    public record Config(Endpoint endpoint, String userPattern, String password, int users, int firstUser, int fill,
            long seed, int minMessageSize, int maxMessageSize, int poolSize, ImapMix mix, LoadRun.Settings load) {
        public Config {
            if (users < 1) {
                throw new IllegalArgumentException("at least one user");
            }
        }

        /** The corpus' own size distribution up to {@code maxMessageSize}. */
        public Config(Endpoint endpoint, String userPattern, String password, int users, int firstUser, int fill,
                long seed, int maxMessageSize, int poolSize, ImapMix mix, LoadRun.Settings load) {
            this(endpoint, userPattern, password, users, firstUser, fill, seed, 0, maxMessageSize, poolSize, mix, load);
        }

        String user(int number) {
            return userPattern.replace("%d", Integer.toString(number));
        }

        String password(int number) {
            return password.replace("%d", Integer.toString(number));
        }
    }

    private final Config config;
    private final PrintStream log;
    private final Errors errors = new Errors();
    private final List<UserState> users = new ArrayList<>();
    private final MessagePool pool;

    public ImapBench(Config config, PrintStream log) {
        this.config = config;
        this.log = log;
        for (int i = 0; i < config.users(); i++) {
            users.add(new UserState(config.user(config.firstUser() + i)));
        }
        this.pool = new MessagePool(config.minMessageSize() > 0
            ? new Corpus(config.seed(), config.minMessageSize(), config.maxMessageSize())
            : new Corpus(config.seed(), config.maxMessageSize()), config.poolSize());
    }

    public Report run() throws InterruptedException {
        fill();
        Map<String, String> described = new LinkedHashMap<>();
        described.put("users", config.users() + " (" + config.user(config.firstUser()) + ".."
            + config.user(config.firstUser() + config.users() - 1) + "), filled to " + config.fill() + " messages");
        described.put("clients", Integer.toString(config.load().clients()));
        described.put("mix", config.mix().toString());
        described.put("corpus", pool.size() + " messages, seed " + config.seed() + ", "
            + pool.totalBytes() / pool.size() + " bytes on average");
        described.put("warm-up", config.load().warmup().toSeconds() + " s");
        return new LoadRun(config.load(), log).run("imap", config.endpoint().toString(), described, ImapMix.KINDS,
            errors, (index, recorder) -> new Client(index, recorder));
    }

    /** Appends corpus messages until every user's INBOX holds at least {@code fill} messages. */
    private void fill() throws InterruptedException {
        if (config.fill() <= 0) {
            return;
        }
        var queue = new ConcurrentLinkedQueue<Integer>();
        for (int i = 0; i < users.size(); i++) {
            queue.add(i);
        }
        AtomicInteger done = new AtomicInteger();
        Recorder discard = new Recorder(ImapMix.KINDS, new LongAdder());
        List<Thread> threads = new ArrayList<>();
        int workers = Math.min(users.size(), Math.max(1, config.load().clients()));
        for (int w = 0; w < workers; w++) {
            SplittableRandom random = new SplittableRandom(config.seed() * 7919 + w);
            threads.add(Thread.ofVirtual().start(() -> {
                Integer next;
                while ((next = queue.poll()) != null) {
                    fillOne(next, discard, random);
                    done.incrementAndGet();
                }
            }));
        }
        boolean terminal = System.console() != null && System.console().isTerminal();
        for (Thread thread : threads) {
            while (!thread.join(java.time.Duration.ofSeconds(terminal ? 1 : 10))) {
                if (config.load().progress()) {
                    log.print((terminal ? "\r" : "") + "[fill] " + done.get() + "/" + users.size() + " users with "
                        + config.fill() + " messages, " + errors.total() + " errors   " + (terminal ? "" : "\n"));
                    log.flush();
                }
            }
        }
        if (config.load().progress()) {
            log.println((terminal ? "\r" : "") + "[fill] " + users.size() + " users hold " + config.fill() + "+ messages, " + errors.total()
                + " errors   ");
        }
    }

    private void fillOne(int userIndex, Recorder recorder, SplittableRandom random) {
        UserState user = users.get(userIndex);
        try (ImapSession session = ImapSession.login(config.endpoint(), user, config.password(config.firstUser() + userIndex),
                pool, recorder, errors, random)) {
            if (session == null) {
                return;
            }
            session.select();
            while (session.selected() && session.exists() < config.fill()) {
                int before = session.exists();
                session.append();
                if (session.exists() == before) {
                    session.noop();
                    if (session.exists() == before) {
                        errors.report("append-not-visible", user.name + ": EXISTS did not grow after APPEND and NOOP");
                        break;
                    }
                }
            }
            session.quietLogout();
        } catch (IOException e) {
            errors.report(e instanceof ImapProtocolException ? "protocol" : "connection", "fill " + user.name + ": "
                + e.getMessage());
        }
    }

    /** One simulated IMAP client: logs in as a random user, runs the mix, logs out, again. */
    private final class Client implements LoadRun.Client {
        private final Recorder recorder;
        private final SplittableRandom random;
        private ImapSession session;

        Client(int index, Recorder recorder) {
            this.recorder = recorder;
            this.random = new SplittableRandom(config.seed() * 1_000_003L + index);
        }

        @Override
        public void step() throws IOException {
            if (session == null) {
                int userIndex = random.nextInt(users.size());
                session = ImapSession.login(config.endpoint(), users.get(userIndex),
                    config.password(config.firstUser() + userIndex), pool, recorder, errors, random);
                if (session == null) {
                    pause();
                    return;
                }
                session.select();
                return;
            }
            if (!session.selected()) {
                session.select();
                if (!session.selected()) {
                    drop();
                    pause();
                }
                return;
            }
            ImapMix.Operation operation = balance(config.mix().pick(random));
            switch (operation) {
                case SELECT -> session.select();
                case FETCH_FLAGS -> session.fetchFlags();
                case FETCH_BODY -> session.fetchBody();
                case STORE -> session.store();
                case EXPUNGE -> session.expunge();
                case APPEND -> session.append();
                case LIST -> session.list();
                case STATUS -> session.status();
                case NOOP -> session.noop();
                case LOGOUT -> {
                    session.logout();
                    session = null;
                }
            }
        }

        /** Appends and expunges keep a mailbox between half and twice its filled size (when the mix expunges). */
        private ImapMix.Operation balance(ImapMix.Operation operation) {
            int target = Math.max(config.fill(), 10);
            if (operation == ImapMix.Operation.EXPUNGE && session.exists() <= target / 2) {
                return ImapMix.Operation.APPEND;
            }
            // A mix without expunges (an APPEND-only load) lets mailboxes grow.
            if (operation == ImapMix.Operation.APPEND && session.exists() >= target * 2
                    && config.mix().weights().getOrDefault(ImapMix.Operation.EXPUNGE, 0) > 0) {
                return ImapMix.Operation.EXPUNGE;
            }
            return operation;
        }

        private void pause() {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void drop() {
            if (session != null) {
                session.close();
                session = null;
            }
        }

        @Override
        public void finish() {
            if (session != null) {
                session.quietLogout();
                session = null;
            }
        }
    }
}
