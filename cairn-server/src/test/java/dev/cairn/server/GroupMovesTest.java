// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.directory.Placement;
import dev.cairn.directory.QuotaLimits;
import dev.cairn.directory.User;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The periodic job's plan: who lives on another store than its group's, else its domain's. */
class GroupMovesTest {
    private final Map<String, String> users = new HashMap<>(), groups = new HashMap<>(), domains = new HashMap<>();

    private final Placement placement = new Placement() {
        @Override public Optional<String> storeOf(String user) { return Optional.ofNullable(users.get(user)); }
        @Override public boolean place(String user, Optional<String> expected, String store) { throw new UnsupportedOperationException(); }
        @Override public List<String> usersOf(String store) { throw new UnsupportedOperationException(); }
        @Override public Optional<String> groupStore(String group) { return Optional.ofNullable(groups.get(group)); }
        @Override public void setGroupStore(String group, Optional<String> store) { throw new UnsupportedOperationException(); }
        @Override public Optional<String> domainStore(String domain) { return Optional.ofNullable(domains.get(domain)); }
        @Override public void setDomainStore(String domain, Optional<String> store) { throw new UnsupportedOperationException(); }
    };

    private static User user(String name, String group, String address) {
        return new User(name, Optional.ofNullable(address), QuotaLimits.UNLIMITED, Optional.ofNullable(group), Instant.EPOCH, false, true);
    }

    @Test void usersAwayFromTheirGroupsOrElseTheirDomainsStoreAreMovedThereAndNoOneElse() {
        groups.put("sales", "s2");
        domains.put("example.org", "s3");
        users.put("ann", "s1");      // group sales on s2: moves
        users.put("bea", "s2");      // already there
        users.put("cid", "s1");      // no group with a store; domain example.org on s3: moves
        users.put("dan", "s1");      // neither has a store: stays
        // eve was never placed: the group's store is where she goes
        List<User> all = new ArrayList<>(List.of(user("ann", "sales", "ann@example.com"), user("bea", "sales", null),
                user("cid", "other", "cid@example.org"), user("dan", null, "dan@example.net"), user("eve", "sales", null)));
        assertThat(GroupMoves.plan(all, placement)).containsExactly(
                new GroupMoves.Planned("ann", Optional.of("s1"), "s2"),
                new GroupMoves.Planned("cid", Optional.of("s1"), "s3"),
                new GroupMoves.Planned("eve", Optional.empty(), "s2"));
    }

    @Test void aNodeWhoseControllerIsNotElectedMovesNobody() {
        groups.put("sales", "s2");
        List<String> asked = new ArrayList<>();
        int moved = GroupMoves.runOnce(() -> false, null, (user, to, budget) -> {
            asked.add(user);
            return "";
        });
        assertThat(moved).isZero();
        assertThat(asked).isEmpty();
    }
}
