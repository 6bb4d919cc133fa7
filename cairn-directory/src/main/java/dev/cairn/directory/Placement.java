// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.List;
import java.util.Optional;

/**
 * Where users live: the store of each user (null until placed), and the store where the new
 * users of a group or of a domain go (the cluster's "where does a user live", Cyrus' mupdate).
 * In a cluster the directory is PostgreSQL and every node reads the same answer. Names and
 * domains given are matched as everywhere in the directory ({@link UserNames},
 * {@link Addresses}); a store name is 1 to {@value #MAX_STORE_LENGTH} letters, digits, '.', '_'
 * or '-'.
 */
public interface Placement {
    int MAX_STORE_LENGTH = 64;

    /** The store the user lives on; empty when not placed yet, or when there is no such user. */
    Optional<String> storeOf(String user);

    /**
     * Places the user on {@code store} if its store is still {@code expected} (empty: not placed
     * yet): a compare-and-set, so two movers of one user cannot both win.
     *
     * @return false, changing nothing, when the user's store was not {@code expected}
     * @throws DirectoryException NO_SUCH_USER when there is no such user
     */
    boolean place(String user, Optional<String> expected, String store);

    /** The users placed on the store, ordered by name. */
    List<String> usersOf(String store);

    /** The store where the group's users go; empty when it has none. */
    Optional<String> groupStore(String group);

    /** Sets (or with empty, removes) the group's store; the users already placed stay where they are. */
    void setGroupStore(String group, Optional<String> store);

    /** The store where the new users of the domain go; empty when it has none. */
    Optional<String> domainStore(String domain);

    /** Sets (or with empty, removes) the domain's store; the users already placed stay where they are. */
    void setDomainStore(String domain, Optional<String> store);

    /** A store name as the directory takes it; INVALID_ARGUMENT otherwise. */
    static String checkStore(String store) {
        if (store == null || store.isEmpty() || store.length() > MAX_STORE_LENGTH
                || !store.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-'))) {
            throw new DirectoryException(DirectoryException.Reason.INVALID_ARGUMENT,
                    "a store name is 1 to " + MAX_STORE_LENGTH + " letters, digits, '.', '_' or '-'");
        }
        return store;
    }
}
