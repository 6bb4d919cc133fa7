// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.protocol.ConnectionLimits;
import dev.cairn.protocol.auth.AuthThrottle;
import dev.cairn.protocol.auth.Network;
import dev.cairn.protocol.auth.ProxyLogin;
import dev.cairn.protocol.tls.TlsConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * How to run the IMAP listeners.
 *
 * @param listen               plaintext listener with STARTTLS (143-style), or null for none
 * @param implicitTlsListen    implicit-TLS listener (993-style, RFC 8314), or null for none
 * @param tls                  server TLS context; null disables STARTTLS and the TLS listener
 * @param plaintextAuthAllowed allow LOGIN/AUTHENTICATE on an unencrypted connection from a
 *                             non-loopback address (off by default: RFC 9051 §11.1 LOGINDISABLED)
 * @param spoolDirectory       where large APPEND literals are spooled while they arrive
 * @param verifyAccess         the read-only login of `cairn replica verify`, or null for none
 * @param heavyWork            where the commands whose cost a client chooses run, and their budget
 * @param proxyLogin           front-ends' logins for their users (issue 21), or null for none
 * @param plaintextAuthNetworks peers that may log in without TLS although off loopback (nginx's mail
 *                             proxy, which logs in with the user's password in clear); no LOGINDISABLED for them
 */
public record ImapConfig(InetSocketAddress listen, InetSocketAddress implicitTlsListen, SSLContext tls,
                         boolean plaintextAuthAllowed, Limits limits, AuthThrottle.Config throttle, Path spoolDirectory,
                         VerifyAccess verifyAccess, HeavyWork heavyWork, ProxyLogin proxyLogin, List<Network> plaintextAuthNetworks) {

    public ImapConfig {
        plaintextAuthNetworks = List.copyOf(plaintextAuthNetworks);
    }

    /** Plaintext logins off loopback only where {@code plaintextAuthAllowed} says so. */
    public ImapConfig(InetSocketAddress listen, InetSocketAddress implicitTlsListen, SSLContext tls,
                      boolean plaintextAuthAllowed, Limits limits, AuthThrottle.Config throttle, Path spoolDirectory,
                      VerifyAccess verifyAccess, HeavyWork heavyWork, ProxyLogin proxyLogin) {
        this(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, proxyLogin, List.of());
    }

    /** Without proxy logins. */
    public ImapConfig(InetSocketAddress listen, InetSocketAddress implicitTlsListen, SSLContext tls,
                      boolean plaintextAuthAllowed, Limits limits, AuthThrottle.Config throttle, Path spoolDirectory,
                      VerifyAccess verifyAccess, HeavyWork heavyWork) {
        this(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, null);
    }

    /** Without verification logins. */
    public ImapConfig(InetSocketAddress listen, InetSocketAddress implicitTlsListen, SSLContext tls,
                      boolean plaintextAuthAllowed, Limits limits, AuthThrottle.Config throttle, Path spoolDirectory) {
        this(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, null);
    }

    /** With the default {@link HeavyWork}. */
    public ImapConfig(InetSocketAddress listen, InetSocketAddress implicitTlsListen, SSLContext tls,
                      boolean plaintextAuthAllowed, Limits limits, AuthThrottle.Config throttle, Path spoolDirectory,
                      VerifyAccess verifyAccess) {
        this(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess,
                HeavyWork.DEFAULT);
    }

    /**
     * How the commands whose cost a client chooses (SEARCH, SORT, THREAD, LIST, LSUB, FETCH of
     * bodies) are kept from starving other users; see {@code dev.cairn.imap} for the design.
     *
     * @param threads       platform threads computing SEARCH, SORT, THREAD, LIST and LSUB; by default
     *                      one fewer than the cores, so a core's worth is always left for logins and
     *                      light commands
     * @param perUser       heavy commands of one user running at once (over all its connections)
     * @param cpuPerCommand CPU time one SEARCH, SORT, THREAD, LIST or LSUB may use; past it NO [LIMIT]
     * @param streams       big FETCHes running at once on the node, each on a platform thread of its own
     */
    public record HeavyWork(int threads, int perUser, Duration cpuPerCommand, int streams) {
        public static final HeavyWork DEFAULT = new HeavyWork(Math.max(1, Runtime.getRuntime().availableProcessors() - 1), 2,
                Duration.ofSeconds(30), 256);

        public HeavyWork {
            if (threads < 1 || perUser < 1 || streams < 1 || cpuPerCommand.isNegative() || cpuPerCommand.isZero()) {
                throw new IllegalArgumentException("heavy work");
            }
        }
    }

    /**
     * Every limit, each answered with a tagged NO/BAD and a response code (or BYE where the
     * client can no longer be understood).
     *
     * @param maxLineLength         octets in one command line (Dovecot: 64 KiB); before login
     *                              {@link dev.cairn.imap.syntax.CommandReader#PRE_AUTH_MAX_LINE} at most
     * @param maxLiteralSize        octets in one APPEND message: APPENDLIMIT (RFC 7889), [TOOBIG]
     * @param maxLiterals           literals in one command (MULTIAPPEND of many messages counts each)
     * @param maxNesting            depth of parentheses (SEARCH, FETCH)
     * @param maxSequenceRanges     ranges in one sequence-set
     * @param maxBadCommandsPreAuth bad commands before authentication, then BYE
     * @param maxBadCommands        bad commands after authentication, then BYE
     * @param preAuthIdleTimeout    silence allowed before authentication (Dovecot's login
     *                              processes: 3 minutes); the login deadline comes on top
     * @param idleTimeout           silence allowed after authentication (RFC 9051 §5.4: at least 30 min)
     * @param idleCommandTimeout    silence allowed in IDLE (clients re-issue IDLE every 29 min)
     * @param maxConnections        connections per listener
     * @param spoolThreshold        APPEND literals larger than this go to a temp file
     * @param maxCommandMemory      octets one command (so one connection) may hold in memory: its
     *                              lines and literals; an APPEND message over it goes to the spool
     *                              file, another command gets NO [LIMIT]
     * @param connectionLimits      connections per client address, and the login deadline
     */
    public record Limits(int maxLineLength, long maxLiteralSize, int maxLiterals, int maxNesting, int maxSequenceRanges,
                         int maxBadCommandsPreAuth, int maxBadCommands, Duration preAuthIdleTimeout, Duration idleTimeout,
                         Duration idleCommandTimeout, int maxConnections, long spoolThreshold, long maxCommandMemory,
                         ConnectionLimits connectionLimits) {
        public static final Limits DEFAULT = new Limits(64 * 1024, 64L << 20, 1000, 64, 10_000, 3, 20,
                Duration.ofMinutes(1), Duration.ofMinutes(30), Duration.ofMinutes(60), 20_000, 256 * 1024,
                1 << 20, ConnectionLimits.DEFAULT);

        public Limits {
            if (maxLineLength < 1024) throw new IllegalArgumentException("maxLineLength below 1024");
            if (maxLiteralSize < 0 || maxLiterals < 1 || maxNesting < 2 || maxSequenceRanges < 1) throw new IllegalArgumentException("limits");
            if (maxCommandMemory < maxLineLength) throw new IllegalArgumentException("maxCommandMemory below maxLineLength: a whole line must fit");
            java.util.Objects.requireNonNull(connectionLimits);
        }

        public Limits withMaxLineLength(int v) { return new Limits(v, maxLiteralSize, maxLiterals, maxNesting, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, spoolThreshold, Math.max(maxCommandMemory, v), connectionLimits); }
        public Limits withMaxLiteralSize(long v) { return new Limits(maxLineLength, v, maxLiterals, maxNesting, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, spoolThreshold, maxCommandMemory, connectionLimits); }
        public Limits withMaxLiterals(int v) { return new Limits(maxLineLength, maxLiteralSize, v, maxNesting, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, spoolThreshold, maxCommandMemory, connectionLimits); }
        public Limits withMaxNesting(int v) { return new Limits(maxLineLength, maxLiteralSize, maxLiterals, v, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, spoolThreshold, maxCommandMemory, connectionLimits); }
        public Limits withMaxSequenceRanges(int v) { return new Limits(maxLineLength, maxLiteralSize, maxLiterals, maxNesting, v, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, spoolThreshold, maxCommandMemory, connectionLimits); }
        public Limits withBadCommands(int preAuth, int authenticated) { return new Limits(maxLineLength, maxLiteralSize, maxLiterals, maxNesting, maxSequenceRanges, preAuth, authenticated, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, spoolThreshold, maxCommandMemory, connectionLimits); }
        public Limits withTimeouts(Duration preAuth, Duration authenticated, Duration idle) { return new Limits(maxLineLength, maxLiteralSize, maxLiterals, maxNesting, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuth, authenticated, idle, maxConnections, spoolThreshold, maxCommandMemory, connectionLimits); }
        public Limits withSpoolThreshold(long v) { return new Limits(maxLineLength, maxLiteralSize, maxLiterals, maxNesting, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, v, maxCommandMemory, connectionLimits); }
        public Limits withMaxConnections(int v) { return new Limits(maxLineLength, maxLiteralSize, maxLiterals, maxNesting, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, v, spoolThreshold, maxCommandMemory, connectionLimits); }
        public Limits withMaxCommandMemory(long v) { return new Limits(maxLineLength, maxLiteralSize, maxLiterals, maxNesting, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, spoolThreshold, v, connectionLimits); }
        public Limits withConnectionLimits(ConnectionLimits v) { return new Limits(maxLineLength, maxLiteralSize, maxLiterals, maxNesting, maxSequenceRanges, maxBadCommandsPreAuth, maxBadCommands, preAuthIdleTimeout, idleTimeout, idleCommandTimeout, maxConnections, spoolThreshold, maxCommandMemory, v); }
    }

    /**
     * Loopback listeners on the given ports (0 = any free port), a self-signed certificate kept in
     * {@code dataDir/tls} (made on first start), plaintext auth refused off loopback.
     */
    public static ImapConfig defaults(Path dataDir, int port, int tlsPort) throws IOException, GeneralSecurityException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        SSLContext tls = TlsConfig.selfSigned(dataDir.resolve("tls")).serverContext();
        return new ImapConfig(new InetSocketAddress(lo, port), new InetSocketAddress(lo, tlsPort), tls, false,
                Limits.DEFAULT, AuthThrottle.Config.DEFAULT, dataDir.resolve("imap-spool"));
    }

    public ImapConfig withLimits(Limits limits) {
        return new ImapConfig(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, proxyLogin, plaintextAuthNetworks);
    }

    public ImapConfig withPlaintextAuthAllowed(boolean allowed) {
        return new ImapConfig(listen, implicitTlsListen, tls, allowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, proxyLogin, plaintextAuthNetworks);
    }

    /** Peers off loopback that may log in without TLS ([imap] plaintext_auth_networks). */
    public ImapConfig withPlaintextAuthNetworks(List<Network> networks) {
        return new ImapConfig(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, proxyLogin, networks);
    }

    /** Whether a peer off loopback may log in without TLS (RFC 9051 §11.1: by default it may not). */
    public boolean plaintextAuthAllowedFrom(InetAddress peer) {
        return plaintextAuthAllowed || Network.anyContains(plaintextAuthNetworks, peer);
    }

    public ImapConfig withVerifyAccess(VerifyAccess verifyAccess) {
        return new ImapConfig(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, proxyLogin, plaintextAuthNetworks);
    }

    public ImapConfig withProxyLogin(ProxyLogin proxyLogin) {
        return new ImapConfig(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, proxyLogin, plaintextAuthNetworks);
    }

    public ImapConfig withHeavyWork(HeavyWork heavyWork) {
        return new ImapConfig(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, proxyLogin, plaintextAuthNetworks);
    }

    public ImapConfig withThrottle(AuthThrottle.Config throttle) {
        return new ImapConfig(listen, implicitTlsListen, tls, plaintextAuthAllowed, limits, throttle, spoolDirectory, verifyAccess, heavyWork, proxyLogin, plaintextAuthNetworks);
    }
}
