// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import dev.cairn.bench.Corpus;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the bench knows about one user's INBOX across all its sessions: the UIDVALIDITY, the
 * highest UID a server has confirmed (APPENDUID), which corpus message each appended UID
 * holds, and who else is logged in. A UID confirmed once must never be handed out again, and
 * UIDNEXT must stay above it (RFC 9051 section 2.3.1.1).
 */
final class UserState {

    final String name;
    private final AtomicLong uidValidity = new AtomicLong();
    private final AtomicLong highestConfirmedUid = new AtomicLong();
    private final Map<Long, Corpus.Message> appended = new ConcurrentHashMap<>();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong logins = new AtomicLong();
    private final AtomicLong storesStarted = new AtomicLong();
    private final AtomicInteger storesRunning = new AtomicInteger();

    UserState(String name) {
        this.name = name;
    }

    /** Records the UIDVALIDITY a SELECT reported; returns the earlier one if it differs, else 0. */
    long noteUidValidity(long value) {
        long before = uidValidity.compareAndExchange(0, value);
        if (before == 0 || before == value) {
            return 0;
        }
        // A new UIDVALIDITY makes every UID we knew meaningless (after reporting it, start over).
        uidValidity.set(value);
        appended.clear();
        highestConfirmedUid.set(0);
        return before;
    }

    long highestConfirmedUid() {
        return highestConfirmedUid.get();
    }

    void confirmAppend(long uid, Corpus.Message message) {
        highestConfirmedUid.accumulateAndGet(uid, Math::max);
        appended.put(uid, message);
    }

    Corpus.Message appended(long uid) {
        return appended.get(uid);
    }

    void forget(long uid) {
        appended.remove(uid);
    }

    /**
     * A session logs in. Returns its login number if no other session of this user was active
     * then (it may be {@link #alone} later), else -1 (it never is).
     */
    long enter() {
        long login = logins.incrementAndGet();
        return active.incrementAndGet() == 1 ? login : -1;
    }

    void leave() {
        active.decrementAndGet();
    }

    /**
     * A session sends a STORE. The FETCH that answers it shows the flags as they are when the
     * server answers, which another session's STORE in between may have changed again; so the
     * flag is only required in the answer when no other STORE of this user overlapped.
     * Returns a ticket for {@link #endStore}.
     */
    long beginStore() {
        long ticket = storesStarted.incrementAndGet();
        return storesRunning.incrementAndGet() == 1 ? ticket : -ticket;
    }

    /** The STORE of {@code ticket} is answered; true if no other STORE of this user overlapped it. */
    boolean endStore(long ticket) {
        storesRunning.decrementAndGet();
        return ticket > 0 && storesStarted.get() == ticket;
    }

    /**
     * True while the session that logged in as login number {@code myLogin} has been the only
     * session of this user since: then nothing else changes the mailbox and every response must
     * reflect exactly this session's commands.
     */
    boolean alone(long myLogin) {
        return active.get() == 1 && logins.get() == myLogin;
    }
}
