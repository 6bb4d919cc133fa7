// SPDX-License-Identifier: Apache-2.0
/**
 * Front-ends (issue 21; README.md): a {@link dev.cairn.proxy.Locator} says where a user is served
 * now, IMAP and POP3 sessions are relayed to that back-end after the front-end's own login
 * (the protocols' hook is {@code dev.cairn.protocol.relay}), LMTP transactions are split by
 * back-end, and nginx's mail proxy asks the auth_http endpoint.
 */
package dev.cairn.proxy;
