// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.store.BodySource;
import java.util.List;

/**
 * Passes the recipients the resolver placed {@link RecipientResolver.Lookup.Elsewhere elsewhere}
 * on to the node that takes them (cairn-proxy's LMTP client). One call per target and
 * transaction; calls for different targets run in parallel.
 */
@FunctionalInterface
public interface Forwarder {
    /**
     * @param target    the {@link RecipientResolver.Lookup.Elsewhere#target()} of these recipients
     * @param mail      the MAIL FROM with its parameters, as the client gave it
     * @param addresses the RCPT TO addresses, in the client's order, each once
     * @param body      the message as received (dot-stuffing removed, lines ending in CRLF unless
     *                  sent by BDAT), with the front's trace field in front
     * @return one complete reply line per address, in the same order (e.g. "250 2.0.0 &lt;a&gt; Saved"):
     *         a failure of the target is a 4xx for each of its addresses, never an exception
     */
    List<String> forward(Object target, LmtpCommand.Mail mail, List<String> addresses, BodySource body) throws InterruptedException;
}
