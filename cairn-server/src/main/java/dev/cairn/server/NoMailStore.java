// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.store.Account;
import dev.cairn.store.CheckReport;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import java.util.List;
import java.util.Optional;

/**
 * The store of {@code cairn proxy}, which holds no mail: the IMAP and POP3 servers it runs take a
 * store, and every session there is relayed once its login succeeded; should anything ask this one
 * all the same, it is refused as a temporary failure (IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP])
 * with words that say why.
 */
final class NoMailStore implements SlotStore {
    static final String WHY = "this is a proxy: it holds no mail";

    private static StoreException refused() { return new StoreException(StoreException.Reason.UNAVAILABLE, WHY); }

    @Override public SlotConfig config() { throw refused(); }

    @Override public UserStore user(String user) { throw refused(); }

    @Override public UserStore openOrCreateUser(String user) { throw refused(); }

    @Override public boolean hasUser(String user) { return false; }

    @Override public List<String> users() { return List.of(); }

    @Override public void deleteUser(String user) { throw refused(); }

    @Override public Optional<Account> account(String user) { throw refused(); }

    @Override public Optional<String> accountOf(String address) { throw refused(); }

    @Override public void setAccount(String user, Account account) { throw refused(); }

    @Override public boolean removeAccount(String user) { throw refused(); }

    @Override public CheckReport check(String userOrNull, boolean repair) { throw refused(); }

    @Override public dev.cairn.store.changelog.ChangeLog changeLog() { throw refused(); }

    @Override public dev.cairn.store.replication.SlotReplication replication() { throw refused(); }

    @Override public int channels() { return 1; }

    @Override public int channelOf(String user) { return 0; }

    @Override public void close() {}
}
