// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** LSUB (RFC 3501 §6.3.9), LIST-EXTENDED (RFC 5258) and the mailbox names of IMAP4rev1 (RFC 3501 §5.1, §5.1.3). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListConformanceIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static void play(String script) throws Exception { Conversation.play(server.port(), script); }

    /**
     * RFC 3501 §6.3.9: "foo/bar" subscribed and "foo" not, a '%' LSUB "MUST return foo ... flagged
     * with the \Noselect attribute", whether or not foo exists; never twice, never for a '*' that
     * reaches the subscribed name itself.
     */
    @Test void lsubPercentShowsAnUnsubscribedParentAsNoselect() throws Exception {
        play("""
                C: a LOGIN lsub1 pw-lsub1
                S~ a OK .*
                C: b CREATE ls/a
                S~ b OK .*
                C: c CREATE ls/b/c
                S~ c OK .*
                C: d CREATE ls/d/e
                S~ d OK .*
                C: e SUBSCRIBE ls/a
                S: e OK SUBSCRIBE completed
                C: f SUBSCRIBE ls/b/c
                S: f OK SUBSCRIBE completed
                C: g SUBSCRIBE ls/d
                S: g OK SUBSCRIBE completed
                C: h SUBSCRIBE ls/d/e
                S: h OK SUBSCRIBE completed
                C: i SUBSCRIBE ls/x/y/z
                S: i OK SUBSCRIBE completed
                C: j LSUB "" ls/%
                S: * LSUB () "/" "ls/a"
                S: * LSUB (\\Noselect) "/" "ls/b"
                S: * LSUB () "/" "ls/d"
                S: * LSUB (\\Noselect) "/" "ls/x"
                S: j OK LSUB completed
                C: k LSUB ls/ %
                S: * LSUB () "/" "ls/a"
                S: * LSUB (\\Noselect) "/" "ls/b"
                S: * LSUB () "/" "ls/d"
                S: * LSUB (\\Noselect) "/" "ls/x"
                S: k OK LSUB completed
                C: l LSUB "" ls/*
                S: * LSUB () "/" "ls/a"
                S: * LSUB () "/" "ls/b/c"
                S: * LSUB () "/" "ls/d"
                S: * LSUB () "/" "ls/d/e"
                S: * LSUB (\\Noselect) "/" "ls/x/y/z"
                S: l OK LSUB completed
                C: m LSUB "" ls/%/%
                S: * LSUB () "/" "ls/b/c"
                S: * LSUB () "/" "ls/d/e"
                S: * LSUB (\\Noselect) "/" "ls/x/y"
                S: m OK LSUB completed
                C: n UNSUBSCRIBE ls/b/c
                S: n OK UNSUBSCRIBE completed
                C: o LSUB "" ls/b
                S: o OK LSUB completed
                """);
    }

    /**
     * RFC 5258 §3: selection options (RECURSIVEMATCH never alone or only with REMOTE: BAD;
     * unknown options: BAD); SUBSCRIBED lists subscribed names, \NonExistent when deleted;
     * RECURSIVEMATCH adds a matching parent with CHILDINFO ("SUBSCRIBED") when a descendant that
     * matches no pattern is subscribed (§3.5); return options CHILDREN, SUBSCRIBED and STATUS (RFC 5819).
     */
    @Test void listExtendedSelectionAndReturnOptions() throws Exception {
        play("""
                C: a LOGIN listext1 pw-listext1
                S~ a OK .*
                C: b CREATE x/one
                S~ b OK .*
                C: c CREATE x/two/kid
                S~ c OK .*
                C: d CREATE x/three/deep/er
                S~ d OK .*
                C: e CREATE x/gone
                S~ e OK .*
                C: f SUBSCRIBE x/one
                S: f OK SUBSCRIBE completed
                C: g SUBSCRIBE x/two/kid
                S: g OK SUBSCRIBE completed
                C: h SUBSCRIBE x/three/deep/er
                S: h OK SUBSCRIBE completed
                C: i SUBSCRIBE x/gone
                S: i OK SUBSCRIBE completed
                C: j DELETE x/gone
                S: j OK DELETE completed
                C: k LIST (RECURSIVEMATCH) "" x/*
                S: k BAD RECURSIVEMATCH needs another selection option
                C: l LIST (RECURSIVEMATCH REMOTE) "" x/*
                S: l BAD RECURSIVEMATCH needs another selection option
                C: m LIST (BOGUS) "" x/*
                S: m BAD Unknown LIST selection option BOGUS
                C: n LIST "" x/% RETURN (BOGUS)
                S: n BAD Unknown LIST return option BOGUS
                C: o LIST (REMOTE) "" x/%
                S: * LIST (\\HasNoChildren) "/" "x/one"
                S: * LIST (\\HasChildren) "/" "x/three"
                S: * LIST (\\HasChildren) "/" "x/two"
                S: o OK LIST completed
                C: p LIST (SUBSCRIBED) "" x/*
                S: * LIST (\\NonExistent \\Subscribed) "/" "x/gone"
                S: * LIST (\\HasNoChildren \\Subscribed) "/" "x/one"
                S: * LIST (\\HasNoChildren \\Subscribed) "/" "x/three/deep/er"
                S: * LIST (\\HasNoChildren \\Subscribed) "/" "x/two/kid"
                S: p OK LIST completed
                C: q LIST (SUBSCRIBED RECURSIVEMATCH) "" x/%
                S: * LIST (\\NonExistent \\Subscribed) "/" "x/gone"
                S: * LIST (\\HasNoChildren \\Subscribed) "/" "x/one"
                S: * LIST (\\HasChildren) "/" "x/three" ("CHILDINFO" ("SUBSCRIBED"))
                S: * LIST (\\HasChildren) "/" "x/two" ("CHILDINFO" ("SUBSCRIBED"))
                S: q OK LIST completed
                C: r LIST (SUBSCRIBED RECURSIVEMATCH) "" (x/two x/two/kid)
                S: * LIST (\\HasNoChildren \\Subscribed) "/" "x/two/kid"
                S: r OK LIST completed
                C: s LIST (SUBSCRIBED RECURSIVEMATCH) "" x/*/deep
                S: * LIST (\\HasChildren) "/" "x/three/deep" ("CHILDINFO" ("SUBSCRIBED"))
                S: s OK LIST completed
                C: t LIST "" x/% RETURN (CHILDREN SUBSCRIBED)
                S: * LIST (\\HasNoChildren \\Subscribed) "/" "x/one"
                S: * LIST (\\HasChildren) "/" "x/three"
                S: * LIST (\\HasChildren) "/" "x/two"
                S: t OK LIST completed
                C: u LIST "" (x/one x/two) RETURN (STATUS (MESSAGES))
                S: * LIST (\\HasNoChildren) "/" "x/one"
                S: * STATUS "x/one" (MESSAGES 0)
                S: * LIST (\\HasChildren) "/" "x/two"
                S: * STATUS "x/two" (MESSAGES 0)
                S: u OK LIST completed
                """);
    }

    /**
     * RFC 3501 §5.1: every printable ASCII character but the separator may be in a name; '&' is
     * written "&-" in modified UTF-7 (§5.1.3). A name that is not valid modified UTF-7 is a
     * well-formed command naming a mailbox that cannot exist: NO [CANNOT] (RFC 5530 §3), never BAD.
     */
    @Test void namesWithEveryPrintableCharacterAndInvalidModifiedUtf7() throws Exception {
        play("""
                C: a LOGIN names1 pw-names1
                S~ a OK .*
                C: b CREATE "odd!#$&-'+,-.0123456789:;<=>?@^_`|}~]["
                S~ b OK .*
                C: c LIST "" odd*
                S: * LIST (\\HasNoChildren) "/" "odd!#$&-'+,-.0123456789:;<=>?@^_`|}~]["
                S: c OK LIST completed
                C: d SELECT "odd!#$&-'+,-.0123456789:;<=>?@^_`|}~]["
                S* d OK \\[READ-WRITE\\] SELECT completed
                C: e RENAME "odd!#$&-'+,-.0123456789:;<=>?@^_`|}~][" odd!#$&-'+,-.:;<=>?@^_`|}~]
                S: e OK RENAME completed
                C: f STATUS odd!#$&-'+,-.:;<=>?@^_`|}~] (MESSAGES)
                S: * STATUS "odd!#$&-'+,-.:;<=>?@^_`|}~]" (MESSAGES 0)
                S: f OK STATUS completed
                C: g CREATE &AGE-
                S: g NO [CANNOT] Invalid mailbox name: printable character shifted
                C: h CREATE &Jjo
                S: h NO [CANNOT] Invalid mailbox name: unterminated '&' shift
                C: i CREATE "a&b"
                S: i NO [CANNOT] Invalid mailbox name: unterminated '&' shift
                C: j SELECT &Jjo
                S: j NO [CANNOT] Invalid mailbox name: unterminated '&' shift
                C: k STATUS &Jjo (MESSAGES)
                S: k NO [CANNOT] Invalid mailbox name: unterminated '&' shift
                C: l SUBSCRIBE &Jjo!-
                S: l NO [CANNOT] Invalid mailbox name: invalid character '!' in a shift
                C: m RENAME odd!#$&-'+,-.:;<=>?@^_`|}~] &Jjo
                S: m NO [CANNOT] Invalid mailbox name: unterminated '&' shift
                C: n LIST "" &Jjo
                S: n OK LIST completed
                C: o LIST "" "&Jjo*"
                S: o OK LIST completed
                C: p LIST &Jjo *
                S: p OK LIST completed
                C: q LSUB "" &Jjo%
                S: q OK LSUB completed
                C: r LIST "" (&Jjo odd*)
                S: * LIST (\\HasNoChildren) "/" "odd!#$&-'+,-.:;<=>?@^_`|}~]"
                S: r OK LIST completed
                C: s DELETE odd!#$&-'+,-.:;<=>?@^_`|}~]
                S* s OK DELETE completed
                C: t NOOP
                S: t OK NOOP completed
                """);
    }

    /**
     * RFC 5258 §3: a name matching several patterns is listed once; the SUBSCRIBED return option
     * only adds \Subscribed and selects nothing more (§3.2: a subscribed name that does not exist is
     * not listed without the SUBSCRIBED selection); SUBSCRIBED with CHILDREN (§4); RFC 9051 §6.3.9:
     * INBOX matches in any case and is answered as "INBOX"; LSUB of a subscribed INBOX and of a subscribed name that does not exist (RFC 3501 §6.3.9).
     */
    @Test void listExtendedPatternsReturnOptionsAndInbox() throws Exception {
        play("""
                C: a LOGIN listext2 pw-listext2
                S~ a OK .*
                C: b CREATE y/one
                S~ b OK .*
                C: c CREATE y/two/kid
                S~ c OK .*
                C: d SUBSCRIBE y/one
                S: d OK SUBSCRIBE completed
                C: e SUBSCRIBE y/ghost
                S: e OK SUBSCRIBE completed
                C: f SUBSCRIBE inbox
                S: f OK SUBSCRIBE completed
                C: g LIST "" (y/one y/* y/%)
                S: * LIST (\\HasNoChildren) "/" "y/one"
                S: * LIST (\\HasChildren) "/" "y/two"
                S: * LIST (\\HasNoChildren) "/" "y/two/kid"
                S: g OK LIST completed
                C: h LIST "" y/% RETURN (SUBSCRIBED)
                S: * LIST (\\HasNoChildren \\Subscribed) "/" "y/one"
                S: * LIST (\\HasChildren) "/" "y/two"
                S: h OK LIST completed
                C: i LIST (SUBSCRIBED) "" y/% RETURN (CHILDREN)
                S: * LIST (\\NonExistent \\Subscribed) "/" "y/ghost"
                S: * LIST (\\HasNoChildren \\Subscribed) "/" "y/one"
                S: i OK LIST completed
                C: j LIST "" inbox
                S: * LIST (\\HasNoChildren) "/" "INBOX"
                S: j OK LIST completed
                C: l LIST "" ""
                S: * LIST (\\Noselect) "/" ""
                S: l OK LIST completed
                C: m LSUB "" INBOX*
                S: * LSUB () "/" "INBOX"
                S: m OK LSUB completed
                C: n LSUB "" y*
                S: * LSUB (\\Noselect) "/" "y/ghost"
                S: * LSUB () "/" "y/one"
                S: n OK LSUB completed
                """);
    }
}
