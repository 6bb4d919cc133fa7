// SPDX-License-Identifier: Apache-2.0
/**
 * IMAP4rev2 and IMAP4rev1 over the slot store: protocol behaviour. {@link dev.cairn.imap.ImapServer}
 * runs the listeners; each connection is an {@link dev.cairn.imap.ImapSession} on its own virtual
 * thread, which keeps the read loop, the busy lock that shutdown and fencing wait on, and the
 * exhaustive switch over the parsed commands of {@link dev.cairn.imap.syntax}, and keeps its own
 * message sequence numbers ({@code SelectedMailbox}) fed by the store's mailbox changes.
 *
 * <p>The rooms, one job each, all working on the session's state:
 *
 * <ul>
 *   <li>{@code CommandRules}: the rule tables (which command in which state, RFC 9051 §3; which
 *       ones write; where expunges may be told, §7.5.1);
 *   <li>{@code ChangeReporter}: the unsolicited responses of RFC 9051 §7.5.1 and RFC 7162 §3.2;
 *   <li>{@code ConnectionCommands}: CAPABILITY, LOGIN/AUTHENTICATE, STARTTLS, COMPRESS, ENABLE;
 *   <li>{@code MailboxCommands}: SELECT/EXAMINE, CREATE, DELETE, STATUS;
 *       {@code AclQuotaCommands}: ACL and QUOTA;
 *   <li>{@code MessageCommands}: APPEND, FETCH, STORE, COPY/MOVE, EXPUNGE, CLOSE;
 *       {@code SearchCommands}: SEARCH, SORT, THREAD.
 * </ul>
 *
 * <p>The parser is cut the same way: {@code syntax.CommandParser} holds the command switch,
 * {@code Cursor} the tokens, {@code Arguments} the arguments many commands share, and
 * {@code SearchParser}, {@code FetchParser} and {@code MailboxParser} one family each.
 *
 * <p>FETCH, SEARCH/SORT/THREAD and LIST each have their own class for the work; the sort keys of
 * RFC 5256 and RFC 5957 are in {@code SortKeys}, the base subject of RFC 5256 §2.1 (for SORT and
 * both THREAD algorithms) in {@code BaseSubject}, and {@code BinaryAppend} stores a literal8 APPEND
 * so that NUL never leaves in a normal literal. {@code CONFORMANCE.md} beside the module's POM maps
 * each RFC section to the code and the test that show it.
 *
 * <p>What a session is told, and when: every committed change of the selected mailbox (its own
 * included) reaches the session's queue in commit order and is told in that order, so a
 * message's MODSEQ only grows in what a client sees (RFC 7162 §3.1). A command that answers
 * from the mailbox's current state (FETCH, STORE) first tells what its queue holds up to that
 * state ({@code MailboxView.Attachment.latest}); expunges wait where RFC 9051 §7.5.1 says, and a
 * CONDSTORE session is then given a HIGHESTMODSEQ below them (RFC 7162 §3.2). A keyword is named
 * by FLAGS and PERMANENTFLAGS before any FETCH shows it (RFC 9051 §7.3.5). In IMAP4rev1 a new
 * message is {@code \Recent} in the one session told of it first (RFC 3501 §2.3.2; the store keeps
 * the per-mailbox mark); IMAP4rev2 sessions neither see nor take it.
 *
 * <p>Besides users (checked by the directory), one more login exists: the read-only one of
 * `cairn replica verify`, which works on replicas too and is described, with how it is
 * secured, in {@link dev.cairn.imap.VerifyAccess}; and a front-end's login for one of its users
 * (issue 21: AUTHENTICATE PLAIN as {@code cairn:proxy}, {@link dev.cairn.protocol.auth.ProxyLogin}),
 * always served here. After a user's own login the session asks the server's
 * {@link dev.cairn.protocol.relay.SessionRoutes}: served here, or relayed to the master of the
 * user's store (the back-end's tagged answer goes to the client, then bytes both ways).
 *
 * <h2>No user's commands starve another's</h2>
 *
 * <p>A virtual thread is never preempted: it holds its carrier (there are as many as cores) until
 * it blocks. Most commands block often or finish in microseconds, but some cost what the client
 * chooses: SEARCH TEXT over a big mailbox, SORT and THREAD, LIST with many wildcards, FETCH of
 * many bodies. Run on the session's thread, two of them stop a two-core node: no greeting, no
 * login, no SELECT for anyone until they end. So, in {@link dev.cairn.imap.HeavyCommands}:
 *
 * <ul>
 *   <li><b>CPU-heavy commands run on a small pool of platform threads</b>: SEARCH, SORT, THREAD,
 *       LIST and LSUB compute there while the session's virtual thread parks (its carrier free),
 *       then the session writes the answer. The operating system preempts platform threads, so
 *       the carriers keep getting time whatever the pool does, and the pool has one thread fewer
 *       than there are cores by default: a core's worth is always left for logins and light
 *       commands. ({@code ImapConfig.HeavyWork.threads})
 *   <li><b>Per user, at most two heavy commands at once</b> over all its connections (a fair
 *       semaphore per user, taken before the pool's queue): a user with many connections has no
 *       more of the pool than a user with one, and users take turns in the queue.
 *       ({@code perUser})
 *   <li><b>A CPU budget per command</b> (30 s by default, {@code cpuPerCommand}), measured as the
 *       pool thread's CPU time and checked at cooperative checkpoints ({@code Budget.check}) in
 *       every loop whose length a client or a sender decides: per message and per search key,
 *       per MIME part, per mailbox name, per node of a thread tree. Past it the command answers
 *       {@code NO [LIMIT]} (RFC 5530) and the session goes on.
 *   <li><b>A big FETCH</b> (bodies, or envelopes and structures of more than 64 messages) also
 *       leaves the carriers: its CPU is in reading bodies and in deflating and encrypting them for
 *       COMPRESS and TLS, and two of them deflating on both carriers held every login for seconds
 *       in the fairness benchmark. It runs on a platform thread of its own (not one of the few
 *       CPU threads: a client that reads slowly can block it until the connection's write
 *       timeout), at most {@code streams} of them on the node, within the user's permits, without
 *       a CPU budget (it is as long as the mail it sends). {@code Thread.yield} was tried first
 *       and does not do it: with both carriers busy, a yielding virtual thread got its carrier
 *       back before a waiting one ran.
 * </ul>
 *
 * <p>A checkpoint only helps if each step between two is short, so the steps are linear in what
 * they look at: LIST patterns match without backtracking ({@link dev.cairn.imap.MailboxPattern}),
 * search strings are found by Knuth-Morris-Pratt ({@link dev.cairn.imap.Needle}), at most
 * 4,000,000 characters of a message's header and of its text are searched, encoded words and base
 * subjects are decoded in one scan ({@link dev.cairn.imap.EncodedWords},
 * {@link dev.cairn.imap.BaseSubject}; mime4j's regex took 20 s over one hostile header), and the
 * THREAD=REFERENCES tree is walked by loops, never by recursion (a References field of 20,000 ids
 * is a chain that deep). One step that no checkpoint can stop holds a pool thread, and with it
 * every user's SEARCH queued behind: that is why these steps matter as much as the checkpoints. Parsing is bounded the
 * same way: parentheses and NOT/OR nest at most {@code maxNesting} deep, one level before login.
 * What a sender put in a message never makes a command fail: SEARCH decodes broken base64 as far
 * as it goes, BINARY answers {@code NO [UNKNOWN-CTE]} before its response line starts
 * ({@link dev.cairn.imap.TransferDecoding}).
 */
package dev.cairn.imap;
