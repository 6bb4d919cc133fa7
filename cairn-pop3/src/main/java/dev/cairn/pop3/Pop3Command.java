// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

/** POP3 commands (RFC 1939 §4-7, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH). */
public sealed interface Pop3Command {
    record Capa() implements Pop3Command {}
    record User(String name) implements Pop3Command {}
    record Pass(String password) implements Pop3Command {}
    /** AUTH with no mechanism lists the mechanisms; {@code initialResponse} null when absent. */
    record Auth(String mechanism, String initialResponse) implements Pop3Command {}
    record Stls() implements Pop3Command {}
    record Stat() implements Pop3Command {}
    /** LIST or UIDL of all messages ({@code message} 0) or of one. */
    record List(int message) implements Pop3Command {}
    record Uidl(int message) implements Pop3Command {}
    record Retr(int message) implements Pop3Command {}
    record Top(int message, int lines) implements Pop3Command {}
    record Dele(int message) implements Pop3Command {}
    record Rset() implements Pop3Command {}
    record Noop() implements Pop3Command {}
    record Quit() implements Pop3Command {}
}
