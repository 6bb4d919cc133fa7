// SPDX-License-Identifier: Apache-2.0
/**
 * The protocols' side of front-ends (issue 21, module cairn-proxy): after a login the session asks
 * {@link dev.cairn.protocol.relay.SessionRoutes} whether to serve the user here or relay it to the
 * master of the user's store, and a {@link dev.cairn.protocol.relay.RelayedSession} takes the
 * connection over. The pre-login rules (greeting, CAPABILITY, STARTTLS, ID, the throttle) stay the
 * sessions' own: a front-end is the same IMAP and POP3 code as a back-end until the login.
 */
package dev.cairn.protocol.relay;
