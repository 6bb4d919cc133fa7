// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

/**
 * The base subject of RFC 5256 §2.1, for SORT SUBJECT and both THREAD algorithms, found by one
 * scan over the subject (no regex: a subject is the sender's, and "[a][a][a]..." made the group
 * repetitions of a regex overflow the stack). The start only moves right and the end only left,
 * and the unwrapping of (6) starts again from where they are, so the work is linear in the
 * subject however many leaders, blobs and wrappers it holds.
 *
 * @param text           the base subject, its case kept ({@link #key} for comparing)
 * @param replyOrForward whether extraction removed a reply or forward marker ("Re:", "Fwd:",
 *                       "(fwd)", "[fwd: ...]"), which RFC 5256 §4 step 5B asks
 */
record BaseSubject(String text, boolean replyOrForward) {
    static BaseSubject of(String subject) {
        if (subject == null) return new BaseSubject("", false);
        String s = collapseWhitespace(EncodedWords.decode(subject));
        int b = 0;
        int e = s.length();
        boolean replyOrForward = false;
        while (true) {
            // (2) trailers: "(fwd)" and whitespace
            while (e > b) {
                if (s.charAt(e - 1) == ' ') {
                    e--;
                } else if (e - b >= 5 && s.regionMatches(true, e - 5, "(fwd)", 0, 5)) {
                    e -= 5;
                    replyOrForward = true;
                } else {
                    break;
                }
            }
            // (3)-(5) leaders, and blobs that leave something behind. A leader that failed after
            // a run of blobs fails from every blob of that run: it is not tried again there.
            int noLeaderBefore = -1;
            while (b < e) {
                if (s.charAt(b) == ' ') {
                    b++;
                    continue;
                }
                if (b >= noLeaderBefore) {
                    int end = leader(s, b, e);
                    if (end > 0) {
                        b = end;
                        replyOrForward = true;
                        continue;
                    }
                    noLeaderBefore = -end; // one past where the run stopped
                }
                int blob = blob(s, b, e);
                if (blob > 0 && blob < e) {
                    b = blob;
                    continue;
                }
                break;
            }
            // (6) "[fwd: ...]" around everything: unwrap and start again
            if (e - b >= 6 && s.regionMatches(true, b, "[fwd:", 0, 5) && s.charAt(e - 1) == ']') {
                b += 5;
                e -= 1;
                replyOrForward = true;
                continue;
            }
            break;
        }
        return new BaseSubject(s.substring(b, e).strip(), replyOrForward);
    }

    /**
     * The text to compare (with {@link SortKeys#ORDER}) and group by: folded for i;ascii-casemap,
     * the comparator RFC 5256 §2.3 makes the default, so only a-z lose their case.
     */
    String key() { return SortKeys.fold(text); }

    /** Tabs, CR, LF and runs of spaces as one space, trimmed (step 1). */
    private static String collapseWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                space = true;
                continue;
            }
            if (space && !out.isEmpty()) out.append(' ');
            space = false;
            out.append(c);
        }
        return out.toString();
    }

    /**
     * subj-leader without its WSP form: *subj-blob subj-refwd. The end of the match, or, when
     * there is none, minus (1 + the position where the run of blobs stopped).
     */
    private static int leader(String s, int from, int to) {
        int i = from;
        while (true) {
            int refwd = refwd(s, i, to);
            if (refwd > 0) return refwd;
            int blob = blob(s, i, to);
            if (blob < 0) return -(i + 1);
            i = blob;
        }
    }

    /** subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" ; the end (after trailing WSP), or -1. */
    private static int refwd(String s, int from, int to) {
        int i;
        if (to - from >= 2 && s.regionMatches(true, from, "re", 0, 2)) {
            i = from + 2;
        } else if (to - from >= 2 && s.regionMatches(true, from, "fw", 0, 2)) {
            i = from + 2;
            if (i < to && (s.charAt(i) == 'd' || s.charAt(i) == 'D')) i++;
        } else {
            return -1;
        }
        while (i < to && s.charAt(i) == ' ') i++;
        int blob = blob(s, i, to);
        if (blob > 0) i = blob;
        if (i >= to || s.charAt(i) != ':') return -1;
        i++;
        while (i < to && s.charAt(i) == ' ') i++;
        return i;
    }

    /** subj-blob = "[" *BLOBCHAR "]" *WSP ; the end, or -1. */
    private static int blob(String s, int from, int to) {
        if (from >= to || s.charAt(from) != '[') return -1;
        for (int i = from + 1; i < to; i++) {
            char c = s.charAt(i);
            if (c == '[') return -1;
            if (c == ']') {
                i++;
                while (i < to && s.charAt(i) == ' ') i++;
                return i;
            }
        }
        return -1;
    }
}
