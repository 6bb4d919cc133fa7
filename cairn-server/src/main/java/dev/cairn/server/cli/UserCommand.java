// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.directory.AddressEntry;
import dev.cairn.directory.Addresses;
import dev.cairn.directory.Directory;
import dev.cairn.directory.LocalDomains;
import dev.cairn.directory.NewUser;
import dev.cairn.directory.QuotaLimits;
import dev.cairn.directory.Resolution;
import dev.cairn.directory.SqlDirectory;
import dev.cairn.directory.User;
import dev.cairn.directory.UserNames;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.server.config.Sizes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * `cairn user ...`: accounts in the directory. On a single node it writes the directory database
 * directly, so it works whether or not the server runs; a running server sees each change at its
 * next lookup. With the cluster's directory ([directory] url) it writes PostgreSQL directly, from
 * any node, running or not: every node sees the change at its next lookup. On a node that serves
 * a replicated store without it (a static pair) the accounts are the store's, and every
 * subcommand goes through the running node ({@link StoreUsers}).
 */
@Command(name = "user", header = "Add, change, list and delete users and their addresses.", description =
        "The commands write the directory database (directory.db in the data directory) directly: they work whether or "
                + "not the node runs, and a running node sees each change at the next login or delivery. Only `user add` "
                + "creates a data directory; the others refuse one that holds no directory.db. With a cluster's directory "
                + "([directory] url) they write PostgreSQL directly, from any node, running or not. On a node that serves a "
                + "replicated store ([replication] in its config) the accounts are part of the store: the commands go through "
                + "the running node to the store's master (run against a replica, a change says which node is the master).",
        subcommands = {UserCommand.Add.class, UserCommand.List_.class, UserCommand.Show.class, UserCommand.Passwd.class,
                UserCommand.Set.class, UserCommand.Delete.class, UserCommand.Alias.class, UserMoveCommand.class})
public final class UserCommand implements Runnable {
    @CommandLine.Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The recipients LMTP accepts for the user: its addresses, and its name bare and in each local
     * domain, each confirmed by the directory's own resolution; empty when mail cannot reach it.
     */
    public static List<String> receivesAs(Directory directory, User user, LocalDomains local) {
        List<String> candidates = new java.util.ArrayList<>();
        directory.addresses(Optional.of(user.name())).forEach(a -> candidates.add(a.address()));
        candidates.add(user.name());
        local.domains().forEach(d -> candidates.add(user.name() + "@" + d));
        return candidates.stream().distinct()
                .filter(c -> directory.resolve(c, local) instanceof Resolution.Found(var r) && r.user().equals(user.name())
                        && r.detail().isEmpty())
                .toList();
    }

    /** Says where mail to the user is accepted, or warns (on standard error) that it is nowhere. */
    static void printReceivesAs(CommandSpec spec, Directory directory, User user, LocalDomains local) {
        List<String> as = receivesAs(directory, user, local);
        if (as.isEmpty()) {
            spec.commandLine().getErr().println("cairn: warning: " + user.name() + " cannot receive mail: it has no address, and "
                    + "its name is no address here ([lmtp] local_domains is empty, bare_names is off); give it one with --address");
        } else {
            spec.commandLine().getOut().println("receives mail as: " + String.join(", ", as));
        }
    }

    public static String describe(User u) {
        StringBuilder b = new StringBuilder(u.name());
        u.primaryAddress().ifPresent(a -> b.append(" <").append(a).append('>'));
        b.append(" storage=").append(u.quota().hasStorageLimit() ? Sizes.formatBytes(u.quota().storageBytes()) : "unlimited");
        b.append(" messages=").append(u.quota().hasMessageLimit() ? Long.toString(u.quota().messages()) : "unlimited");
        u.group().ifPresent(g -> b.append(" group=").append(g));
        if (u.disabled()) {
            b.append(" DISABLED");
        }
        if (!u.hasPassword()) {
            b.append(" (no password)");
        }
        return b.toString();
    }

    @Command(name = "add", header = "Add a user.", description = {
            "The password is asked twice at the terminal, or read from the first line of standard input with "
                    + "--password-stdin; it must have at least [directory] min_password_length characters (default 8).",
            "Without --address the user receives mail at its name: bare, and NAME@DOMAIN for each of [lmtp] local_domains "
                    + "(this machine's host name and localhost by default), and NAME@default_domain when there is one.",
            "Creates the data directory when it does not exist."})
    static final class Add implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME", description = "user name (login); an address, or a name the default domain is added to")
        String name;
        @Option(names = "--password-stdin", description = "read the password from the first line of standard input")
        boolean passwordStdin;
        @Option(names = "--no-password", description = "an account that receives mail but cannot log in")
        boolean noPassword;
        @Option(names = "--address", paramLabel = "ADDRESS", description = "primary address (default: NAME if it is one, else NAME@default_domain)")
        String address;
        @Option(names = "--quota-storage", paramLabel = "SIZE", converter = OptionValues.StorageLimit.class,
                description = "storage limit, like 500M or 2G (default: none)")
        Long quotaStorage;
        @Option(names = "--quota-messages", paramLabel = "N", converter = OptionValues.CountLimit.class,
                description = "message count limit (default: none)")
        Long quotaMessages;
        @Option(names = "--group", paramLabel = "GROUP", description = "placement group: users of one group share a store")
        String group;
        @Option(names = "--store", paramLabel = "STORE", description = "the store the new user goes in: one this node masters (accounts in the store), or any store of the cluster (its PostgreSQL directory places the user there)")
        String store;

        @Override
        public Integer call() throws Exception {
            QuotaLimits quota = new QuotaLimits(quotaStorage == null ? QuotaLimits.NONE : quotaStorage,
                    quotaMessages == null ? QuotaLimits.NONE : quotaMessages);
            NodeConfig config = options.load();
            // The name, the address and the data directory are checked before the password is asked.
            UserNames.canonical(name);
            if (address != null) {
                Addresses.canonical(address);
            }
            if (StoreUsers.replicated(spec, config)) {
                char[] password = noPassword ? null : Passwords.read(CairnCommand.root(spec).in(), passwordStdin);
                String hash;
                try {
                    hash = StoreUsers.hash(config, password);
                } finally {
                    Passwords.wipe(password);
                }
                return StoreUsers.call(spec, config, "POST", "/accounts/add", StoreUsers.form("user", name, "hash", hash,
                        "address", address, "quota_storage", quota.storageBytes() + "", "quota_messages", quota.messages() + "",
                        "group", group, "store", store));
            }
            boolean shared = dev.cairn.server.Directories.shared(config);
            if (store != null && !shared) throw new IllegalArgumentException("--store: this node serves no replicated store");
            if (store != null) dev.cairn.directory.Placement.checkStore(store);
            if (!shared) DataDirectory.requireUsable(config);
            char[] password = noPassword ? null : Passwords.read(CairnCommand.root(spec).in(), passwordStdin);
            try (SqlDirectory directory = options.createDirectory()) {
                User user = directory.addUser(new NewUser(name, password, quota, Optional.ofNullable(group),
                        Optional.ofNullable(address)));
                // The cluster's directory: the placement is what front-ends route by (issue 21).
                if (store != null) directory.placement().place(user.name(), Optional.empty(), store);
                spec.commandLine().getOut().println("added " + describe(user) + (store != null ? " on store " + store : ""));
                printReceivesAs(spec, directory, user, config.localDomains());
            } finally {
                Passwords.wipe(password);
            }
            return 0;
        }
    }

    @Command(name = "list", header = "List users: name, primary address, quotas, group, state.")
    static final class List_ implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (StoreUsers.replicated(spec, config)) return StoreUsers.call(spec, config, "GET", "/accounts/list", StoreUsers.form());
            try (SqlDirectory directory = options.openDirectory()) {
                PrintWriter out = spec.commandLine().getOut();
                List<User> users = directory.users();
                for (User u : users) {
                    out.println(describe(u));
                }
                out.println(users.size() == 1 ? "1 user" : users.size() + " users");
            }
            return 0;
        }
    }

    @Command(name = "show", header = "Show one user, its addresses, and where mail reaches it.")
    static final class Show implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (StoreUsers.replicated(spec, config)) return StoreUsers.call(spec, config, "GET", "/accounts/show", StoreUsers.form("user", name));
            try (SqlDirectory directory = options.openDirectory()) {
                PrintWriter out = spec.commandLine().getOut();
                Optional<User> user = directory.user(name);
                if (user.isEmpty()) {
                    spec.commandLine().getErr().println("cairn: no user " + name);
                    return 1;
                }
                User u = user.get();
                out.println(describe(u));
                out.println("created " + DateTimeFormatter.ISO_INSTANT.format(u.created().atOffset(ZoneOffset.UTC)));
                List<AddressEntry> addresses = directory.addresses(Optional.of(u.name()));
                for (AddressEntry a : addresses) {
                    out.println((a.primary() ? "address " : "alias   ") + a.address());
                }
                printReceivesAs(spec, directory, u, options.load().localDomains());
            }
            return 0;
        }
    }

    @Command(name = "passwd", header = "Set a user's password.", description =
            "Asked twice at the terminal, or read from the first line of standard input with --password-stdin; "
                    + "at least [directory] min_password_length characters (default 8).")
    static final class Passwd implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--password-stdin", description = "read the password from the first line of standard input")
        boolean passwordStdin;

        @Override
        public Integer call() throws Exception {
            NodeConfig config = options.load();
            if (StoreUsers.replicated(spec, config)) {
                char[] password = Passwords.read(CairnCommand.root(spec).in(), passwordStdin);
                String hash;
                try {
                    hash = StoreUsers.hash(config, password);
                } finally {
                    Passwords.wipe(password);
                }
                return StoreUsers.call(spec, config, "POST", "/accounts/passwd", StoreUsers.form("user", name, "hash", hash));
            }
            try (SqlDirectory directory = options.openDirectory()) {
                if (directory.user(name).isEmpty()) {
                    spec.commandLine().getErr().println("cairn: no user " + name);
                    return 1;
                }
                char[] password = Passwords.read(CairnCommand.root(spec).in(), passwordStdin);
                try {
                    directory.setPassword(name, password);
                } finally {
                    Passwords.wipe(password);
                }
                spec.commandLine().getOut().println("password of " + directory.user(name).orElseThrow().name() + " changed");
            }
            return 0;
        }
    }

    @Command(name = "set", header = "Change a user's quotas, group or primary address, or disable or enable the account.")
    static final class Set implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--quota-storage", paramLabel = "SIZE", converter = OptionValues.StorageLimit.class,
                description = "storage limit like 2G, or none")
        Long quotaStorage;
        @Option(names = "--quota-messages", paramLabel = "N", converter = OptionValues.CountLimit.class,
                description = "message count limit, or none")
        Long quotaMessages;
        @Option(names = "--group", paramLabel = "GROUP", description = "placement group, or 'none'")
        String group;
        @Option(names = "--address", paramLabel = "ADDRESS", description = "new primary address (the old one stays as an alias)")
        String address;
        @Option(names = "--disable", description = "refuse logins and deliveries")
        boolean disable;
        @Option(names = "--enable", description = "allow logins and deliveries again")
        boolean enable;

        @Override
        public Integer call() throws Exception {
            if (disable && enable) {
                throw new IllegalArgumentException("--disable and --enable contradict each other");
            }
            NodeConfig config = options.load();
            if (StoreUsers.replicated(spec, config)) {
                return StoreUsers.call(spec, config, "POST", "/accounts/set", StoreUsers.form("user", name,
                        "quota_storage", quotaStorage == null ? null : quotaStorage.toString(),
                        "quota_messages", quotaMessages == null ? null : quotaMessages.toString(), "group", group, "address", address,
                        "disabled", disable || enable ? Boolean.toString(disable) : null));
            }
            try (Directory directory = options.openDirectory()) {
                User user = directory.user(name).orElseThrow(() -> new IllegalArgumentException("no user " + name));
                if (quotaStorage != null || quotaMessages != null) {
                    directory.setQuota(user.name(), new QuotaLimits(
                            quotaStorage == null ? user.quota().storageBytes() : quotaStorage,
                            quotaMessages == null ? user.quota().messages() : quotaMessages));
                }
                if (group != null) {
                    directory.setGroup(user.name(), group.equalsIgnoreCase("none") ? Optional.empty() : Optional.of(group));
                }
                if (address != null) {
                    directory.setPrimaryAddress(user.name(), address);
                }
                if (disable || enable) {
                    directory.setDisabled(user.name(), disable);
                }
                spec.commandLine().getOut().println(describe(directory.user(user.name()).orElseThrow()));
            }
            return 0;
        }
    }

    @Command(name = "delete", header = "Delete a user: the account, its addresses, and (unless --keep-mail) its mail.")
    static final class Delete implements Callable<Integer> {
        @Mixin ConfigOptions options;
        @CommandLine.Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--keep-mail", description = "keep the user's mail in the store")
        boolean keepMail;

        @Override
        public Integer call() throws Exception {
            String canonical = UserNames.canonical(name);
            NodeConfig config = options.load();
            if (StoreUsers.replicated(spec, config)) {
                return StoreUsers.call(spec, config, "POST", "/accounts/delete", StoreUsers.form("user", canonical,
                        "keep_mail", Boolean.toString(keepMail)));
            }
            boolean inDirectory;
            try (SqlDirectory directory = options.openDirectory()) {
                // The account goes first: no login or delivery starts while its mail is removed.
                inDirectory = directory.deleteUser(canonical);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (inDirectory) {
                out.println("deleted " + canonical + " from the directory");
            }
            boolean mailDeleted = false;
            if (!keepMail) {
                SlotAccess.Outcome outcome = SlotAccess.deleteUserData(options.load(), canonical);
                mailDeleted = outcome.ok();
                if (mailDeleted || inDirectory) {
                    out.print(outcome.text());
                }
            }
            out.flush();
            if (!inDirectory && !mailDeleted) {
                spec.commandLine().getErr().println("cairn: no user " + name);
                return 1;
            }
            return 0;
        }
    }

    @Command(name = "alias", header = "Add, remove and list addresses that deliver to a user.",
            subcommands = {Alias.AliasAdd.class, Alias.AliasRemove.class, Alias.AliasList.class})
    static final class Alias implements Runnable {
        @CommandLine.Spec CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "add", header = "Deliver mail to ADDRESS to USER.")
        static final class AliasAdd implements Callable<Integer> {
            @Mixin ConfigOptions options;
            @CommandLine.Spec CommandSpec spec;
            @Parameters(index = "0", paramLabel = "ADDRESS") String address;
            @Parameters(index = "1", paramLabel = "USER") String user;

            @Override
            public Integer call() throws Exception {
                NodeConfig config = options.load();
                if (StoreUsers.replicated(spec, config)) {
                    return StoreUsers.call(spec, config, "POST", "/accounts/alias-add", StoreUsers.form("address", address, "user", user));
                }
                try (SqlDirectory directory = options.openDirectory()) {
                    directory.addAlias(address, user);
                    spec.commandLine().getOut().println("alias " + address + " -> " + directory.user(user).orElseThrow().name());
                }
                return 0;
            }
        }

        @Command(name = "remove", header = "Remove an address (alias or primary).")
        static final class AliasRemove implements Callable<Integer> {
            @Mixin ConfigOptions options;
            @CommandLine.Spec CommandSpec spec;
            @Parameters(index = "0", paramLabel = "ADDRESS") String address;

            @Override
            public Integer call() throws Exception {
                NodeConfig config = options.load();
                if (StoreUsers.replicated(spec, config)) {
                    return StoreUsers.call(spec, config, "POST", "/accounts/alias-remove", StoreUsers.form("address", address));
                }
                try (SqlDirectory directory = options.openDirectory()) {
                    if (!directory.removeAddress(address)) {
                        spec.commandLine().getErr().println("cairn: no address " + address);
                        return 1;
                    }
                    spec.commandLine().getOut().println("removed " + address);
                }
                return 0;
            }
        }

        @Command(name = "list", header = "List addresses, of one user or of all.")
        static final class AliasList implements Callable<Integer> {
            @Mixin ConfigOptions options;
            @CommandLine.Spec CommandSpec spec;
            @Parameters(index = "0", arity = "0..1", paramLabel = "USER") String user;

            @Override
            public Integer call() throws Exception {
                NodeConfig config = options.load();
                if (StoreUsers.replicated(spec, config)) return StoreUsers.call(spec, config, "GET", "/accounts/aliases", StoreUsers.form("user", user));
                try (SqlDirectory directory = options.openDirectory()) {
                    for (AddressEntry a : directory.addresses(Optional.ofNullable(user))) {
                        spec.commandLine().getOut().println(a.address() + " -> " + a.user() + (a.primary() ? " (primary)" : ""));
                    }
                }
                return 0;
            }
        }
    }
}
