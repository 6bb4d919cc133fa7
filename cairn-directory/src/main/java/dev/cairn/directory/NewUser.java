// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.Optional;

/**
 * A user to add. The password is a char array so the caller can wipe it after use.
 *
 * @param password       null for an account that cannot log in (receives mail only)
 * @param primaryAddress if empty, the directory derives one: the name itself when it is an
 *                       address, else name@default-domain when a default domain is configured
 */
public record NewUser(String name, char[] password, QuotaLimits quota, Optional<String> group,
                      Optional<String> primaryAddress) {
    public NewUser {
        quota = quota == null ? QuotaLimits.UNLIMITED : quota;
        group = group == null ? Optional.empty() : group;
        primaryAddress = primaryAddress == null ? Optional.empty() : primaryAddress;
    }

    public static NewUser of(String name, char[] password) {
        return new NewUser(name, password, QuotaLimits.UNLIMITED, Optional.empty(), Optional.empty());
    }

    @Override
    public String toString() {
        return "NewUser[name=" + name + ", quota=" + quota + ", group=" + group + ", primaryAddress=" + primaryAddress + "]";
    }
}
