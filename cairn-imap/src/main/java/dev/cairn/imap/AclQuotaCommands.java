// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.ImapSession.Result;
import dev.cairn.imap.syntax.ImapCommand.*;
import dev.cairn.store.QuotaUsage;
import dev.cairn.store.Results;
import dev.cairn.store.StoreException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * QUOTA (RFC 9208) and ACL (RFC 4314) over one account: the owner holds every right, quotas are
 * set by the administrator.
 */
final class AclQuotaCommands {
    /** Every right of RFC 4314 §2.1 but the obsolete c and d: the owner has them all. */
    private static final String RIGHTS = "lrswipkxtea";

    private final ImapSession s;

    AclQuotaCommands(ImapSession s) {
        this.s = s;
    }

    private void requireMailbox(String name) {
        if (s.store.mailbox(name).isEmpty()) throw new StoreException(StoreException.Reason.NONEXISTENT, "No such mailbox");
    }

    Result setAcl(String mailbox, String identifier, String rights) {
        requireMailbox(mailbox);
        if (identifier.equals(s.user)) return Result.no("CANNOT", "The owner's rights cannot be changed");
        String current = "";
        for (Results.AclEntry e : s.store.acl(mailbox)) if (e.identifier().equals(identifier)) current = e.rights();
        String next;
        if (rights.startsWith("+")) next = mergeRights(current, rights.substring(1), true);
        else if (rights.startsWith("-")) next = mergeRights(current, rights.substring(1), false);
        else next = mergeRights("", rights, true);
        for (char ch : next.toCharArray()) {
            if (RIGHTS.indexOf(ch) < 0 && "cd".indexOf(ch) < 0) return Result.bad("Unknown right " + ch);
        }
        s.store.setAcl(mailbox, identifier, next);
        return Result.ok("ACL updated");
    }

    private static String mergeRights(String current, String change, boolean add) {
        StringBuilder sb = new StringBuilder();
        for (char ch : (RIGHTS + "cd").toCharArray()) {
            boolean has = current.indexOf(ch) >= 0;
            boolean named = change.indexOf(ch) >= 0;
            if (add ? has || named : has && !named) sb.append(ch);
        }
        return sb.toString();
    }

    private void writeQuota() throws IOException {
        QuotaUsage q = s.store.quota();
        List<String> parts = new ArrayList<>();
        // RFC 9208 §5.1: STORAGE in units of 1024 octets
        if (q.storageLimit() >= 0) parts.add("STORAGE " + ((q.storageUsed() + 1023) / 1024) + " " + (q.storageLimit() / 1024));
        if (q.messagesLimit() >= 0) parts.add("MESSAGE " + q.messagesUsed() + " " + q.messagesLimit());
        s.out.line("* QUOTA \"\" (" + String.join(" ", parts) + ")");
    }

    Result getQuota(GetQuota c) throws IOException {
        if (!c.root().isEmpty()) return Result.no("NONEXISTENT", "No such quota root");
        writeQuota();
        return Result.ok("GETQUOTA completed");
    }

    Result getQuotaRoot(GetQuotaRoot c) throws IOException {
        if (s.store.mailbox(c.mailbox()).isEmpty()) return Result.no("NONEXISTENT", "No such mailbox");
        s.out.raw("* QUOTAROOT ").mailbox(c.mailbox()).raw(" \"\"").crlf();
        writeQuota();
        return Result.ok("GETQUOTAROOT completed");
    }

    Result getAcl(GetAcl c) throws IOException {
        requireMailbox(c.mailbox());
        s.out.raw("* ACL ").mailbox(c.mailbox()).sp().astring(s.user).sp().raw(RIGHTS);
        for (Results.AclEntry e : s.store.acl(c.mailbox())) {
            if (e.identifier().equals(s.user)) continue;
            s.out.sp().astring(e.identifier()).sp().astring(e.rights());
        }
        s.out.crlf();
        return Result.ok("GETACL completed");
    }

    Result listRights(ListRights c) throws IOException {
        requireMailbox(c.mailbox());
        s.out.raw("* LISTRIGHTS ").mailbox(c.mailbox()).sp().astring(c.identifier());
        if (c.identifier().equals(s.user)) s.out.sp().raw(RIGHTS);
        else s.out.raw(" \"\" l r s w i p k x t e a");
        s.out.crlf();
        return Result.ok("LISTRIGHTS completed");
    }

    Result myRights(MyRights c) throws IOException {
        requireMailbox(c.mailbox());
        s.out.raw("* MYRIGHTS ").mailbox(c.mailbox()).sp().raw(RIGHTS).crlf();
        return Result.ok("MYRIGHTS completed");
    }
}
