// SPDX-License-Identifier: Apache-2.0
/**
 * IMAP protocol syntax, without behaviour: the bounded command reader (lines and literals, with
 * large APPEND literals spooled to files, the memory of each command taken from the node's budget
 * before it is read, and the tighter bounds before login), the parser into {@link dev.cairn.imap.syntax.ImapCommand}
 * records, value types (sequence sets, sections, fetch items, search keys), modified UTF-7 and the
 * response writer.
 */
package dev.cairn.imap.syntax;
