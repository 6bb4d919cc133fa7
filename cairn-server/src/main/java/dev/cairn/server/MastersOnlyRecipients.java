// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.lmtp.RecipientResolver;
import dev.cairn.store.SlotStore;

/**
 * LMTP recipients on a node whose slot takes no writes (a replica, or a former master fenced by a
 * newer epoch): every RCPT is answered 451 4.3.0 with the fence's reason ("store s1 is a replica
 * here; its master is n1/s0"), before the message is sent, instead of 451 after DATA. When every
 * slot of the node is fenced it is asked before the directory: on a replica whose directory lacks
 * the user, a 550 would bounce mail that its master would take. On a node of several slots, a
 * recipient the directory finds gets the fence of its own user's slot ({@link SlotStore#slotOf}):
 * the users of the node's master slots receive their mail.
 */
final class MastersOnlyRecipients {
    private MastersOnlyRecipients() {}

    static RecipientResolver of(RecipientResolver directory, NodeSlots slots) {
        SlotStore store = slots.store();
        return address -> {
            String fence = slots.everySlotFenced();
            if (fence != null) return unavailable(fence);
            RecipientResolver.Lookup found = directory.resolve(address);
            if (found instanceof RecipientResolver.Lookup.Found f) {
                fence = store.slotOf(f.recipient().user()).replication().fenceReason();
                if (fence != null) return unavailable(fence);
            }
            return found;
        };
    }

    private static RecipientResolver.Lookup unavailable(String fence) {
        return new RecipientResolver.Lookup.Unavailable("Mailbox store not available here: " + printable(fence));
    }

    /** A reply is one line of printable ASCII (RFC 5321 §4.2); the reason names stores and nodes from the config. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return b.length() <= 200 ? b.toString() : b.substring(0, 200) + "...";
    }
}
